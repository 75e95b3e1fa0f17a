"""Pictures of one side of the classroom: the city's network and the live charts.

Everything is drawn with matplotlib's Agg backend into PNG bytes, which the
browser shows as plain images. That is a deliberate choice for classrooms
without internet: Mesa's Altair charts need the Vega libraries, which Solara
fetches from a CDN when the locally installed ``solara-assets`` does not have
the exact version asked for, so they stay blank offline; a PNG needs nothing.

A :class:`SideDrawing` builds its figures once and then only updates the data
of the artists (point colours, line data, axis limits) before each render,
because building matplotlib figures costs more than drawing them; that is what
keeps a step of both models plus the redraw well under half a second at 2,000
residents (``experiments/bench/classroom.py`` measures it).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from experiments.scales import axis_top
from model import SocialManagementModel
from model.population import Stance

STANCE_LABELS: dict[int, str] = {
    int(Stance.QUIET): "quiet",
    int(Stance.PETITIONING): "petitioning",
    int(Stance.PROTESTING): "protesting",
    int(Stance.DETAINED): "detained",
}
"""Legend text of each stance, in the model's enum order."""

# Colour-blind-safe hues (Okabe-Ito / Tol); grievance sets how deep the hue is.
STANCE_COLOURS: dict[int, str] = {
    int(Stance.QUIET): "#0b4f8a",
    int(Stance.PETITIONING): "#e69f00",
    int(Stance.PROTESTING): "#d62728",
    int(Stance.DETAINED): "#000000",
}
STANCE_SIZES: dict[int, float] = {
    int(Stance.QUIET): 100.0,
    int(Stance.PETITIONING): 160.0,
    int(Stance.PROTESTING): 220.0,
    int(Stance.DETAINED): 140.0,
}
"""Marker areas (points squared, one point a pixel of the image) at 2,000 residents;
larger for fewer (:func:`marker_scale`).

Sized for the back of a room, not for a close look. At 2,000 residents the
image has a resident every 14 pixels or so (640 / sqrt(2,000)); a quiet
resident's dot is 11 pixels across, four fifths of that spacing, so the
city reads as a carpet of colour, and those who act (petitioning,
protesting) are larger and stand out. The page shrinks the image to fit the
window (to about 64 % at 1920x1080, 41 % at 1024x768), so a quiet dot is
about 7 and 4.6 screen pixels there; the browser test asserts the minimum
(:func:`marker_diameter`). They were 6 image pixels, 2.5 on screen at
1024x768, when the issue called them tiny dots."""

LIGHTEST = 0.3
"""Share of the stance hue a resident with no grievance shows (the rest is white)."""

MAX_EDGES = 2500
"""Edges drawn at most: the network is a spatial small world, so a random
subsample keeps its look while sparing the renderer."""


@dataclass(frozen=True)
class Chart:
    """One chart of a side: an outcome column, its title and its y-axis label (the unit)."""

    column: str
    title: str
    unit: str


CHARTS: tuple[Chart, ...] = (
    Chart("mean_legitimacy", "Trust in government", "mean, 0 to 1"),
    Chart("mean_grievance", "Grievance", "mean, 0 to 1"),
    Chart("hidden_grievance", "Hidden grievance", "per resident"),
    Chart("incidents_per_10k", "Mass incidents", "per 10,000 residents"),
)
"""Outcome columns charted for each side. Per-capita measures only, so a city
of 500 and one of 5,000 are drawn on the same scale; the axes come from
:func:`experiments.scales.axis_top` (fixed, from zero, in round jumps)."""

NETWORK_FORMAT = "jpeg"
"""Image format of the network picture (see ``_encode``); the charts are PNG."""

FONT_SIZE = 22
"""Chart titles, in pixels of the image; ticks are a little smaller. The page
scales the images to fit the window (about 57 % at 1024x768, 100 % at
1920x1080), so titles stay 12-22 px on screen."""

DPI = 72
NETWORK_PX = 640
"""Width and height of the network image (the browser scales it to fit)."""
CHARTS_PX = (600, 500)
"""Width and height of the charts image."""


def marker_scale(n_residents: int) -> float:
    """How much larger than at 2,000 residents each dot is drawn: fewer residents, bigger dots."""
    return float(np.clip(np.sqrt(2000 / max(n_residents, 1)), 0.45, 3.0))


def marker_diameter(stance: int, n_residents: int) -> float:
    """Diameter in image pixels of a resident's dot in a city of ``n_residents``.

    What the browser test multiplies by the page's scaling of the image to
    check that residents stay readable on screen.
    """
    area = STANCE_SIZES[int(stance)] * marker_scale(n_residents)  # points squared
    return float(2.0 * np.sqrt(area / np.pi) * DPI / 72.0)


@dataclass(frozen=True)
class Pictures:
    """The two images of one side at one step (network: JPEG, charts: PNG)."""

    network: bytes
    charts: bytes


def resident_colours(stance: np.ndarray, grievance: np.ndarray) -> np.ndarray:
    """RGBA colour per resident: hue by stance, depth by grievance.

    A resident with no grievance is a pale tint of its stance's hue and one
    with full grievance the full hue, so a city whose quiet residents darken
    shows grievance held in silence (the model's hidden grievance).
    """
    hues = np.array([to_rgb(STANCE_COLOURS[s]) for s in sorted(STANCE_COLOURS)])
    depth = LIGHTEST + (1.0 - LIGHTEST) * np.clip(grievance, 0.0, 1.0)
    rgb = 1.0 - depth[:, None] * (1.0 - hues[stance.astype(np.intp)])
    # Detained residents are shown in full black whatever their grievance.
    rgb[stance == int(Stance.DETAINED)] = 0.0
    return np.column_stack([rgb, np.ones(len(stance))])


def edge_segments(model: SocialManagementModel, rng_seed: int = 0) -> np.ndarray:
    """Line segments of (a random subsample of) the network's ties.

    Each tie is drawn once (upper triangle); the subsample is fixed per model
    so the picture does not flicker between steps.
    """
    adjacency = model.adjacency.tocoo()
    upper = adjacency.row < adjacency.col
    rows, cols = adjacency.row[upper], adjacency.col[upper]
    if len(rows) > MAX_EDGES:
        keep = np.random.default_rng(rng_seed).choice(len(rows), MAX_EDGES, replace=False)
        rows, cols = rows[keep], cols[keep]
    position = model.residents.position
    return np.stack([position[rows], position[cols]], axis=1)


def _encode(rgba: np.ndarray, image_format: str) -> bytes:
    """PNG or JPEG bytes of an RGBA pixel buffer, favouring speed over size.

    Encoding dominated the redraw: the network picture (thousands of dots and
    ties) took 70 ms as a PNG even at compression level 1, and 12 ms as a
    JPEG of quality 90 without chroma subsampling, which keeps the stance
    colours and thin ties crisp. The charts (mostly white) stay PNG.
    """
    buffer = io.BytesIO()
    image = Image.fromarray(rgba[..., :3])
    if image_format == "jpeg":
        image.save(buffer, format="JPEG", quality=90, subsampling=0)
    else:
        image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class _BlitFigure:
    """A figure whose static part is drawn once and whose moving artists are blitted.

    Only when the layout key changes (axis limits, for instance) is the whole
    figure redrawn; otherwise the cached background is restored and only the
    animated artists are drawn on it. Text is the slowest thing Agg draws, so
    keeping titles, ticks and legends in the background is most of the speed.
    """

    def __init__(
        self, figure: Figure, animated: Sequence[Artist], image_format: str = "png"
    ) -> None:
        self.figure = figure
        self.image_format = image_format
        self.canvas: Any = FigureCanvasAgg(figure)  # Agg's methods are untyped
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self._key: object = None
        self._background: Any = None

    def render(self, key: object) -> bytes:
        if key != self._key or self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
        self.canvas.restore_region(self._background)
        for artist in self.animated:
            self.figure.draw_artist(artist)
        return _encode(np.asarray(self.canvas.buffer_rgba()), self.image_format)


HORIZON_CHUNK = 52
"""The charts' x-axis grows a year at a time."""


class SideDrawing:
    """The figures of one side, built once, updated and rendered every step.

    Args:
        model: The side's model (the drawing is tied to it; a reset makes a
            new model and so a new drawing).
        colour: The side's line colour in the charts.
        own_label: Legend text of this side's line (solid).
        other_label: Legend text of the other side's line (dashed).
        other_colour: Colour of the other side's line (its own colour in its column).
    """

    def __init__(
        self,
        model: SocialManagementModel,
        colour: str,
        own_label: str = "this side",
        other_label: str = "the other side",
        other_colour: str = "#8a8a8a",
    ) -> None:
        self.model = model
        self.colour = colour
        self._lock = threading.Lock()
        self._marker_scale = marker_scale(model.residents.size)

        side = NETWORK_PX / DPI
        network_figure = Figure(figsize=(side, side), dpi=DPI)
        ax = network_figure.add_axes((0.005, 0.005, 0.99, 0.99))
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.add_collection(
            LineCollection(list(edge_segments(model)), colors="#cfcfcf", linewidths=0.6, zorder=1)
        )
        position = model.residents.position
        self._points = ax.scatter(position[:, 0], position[:, 1], s=9.0, linewidths=0, zorder=2)
        self._network = _BlitFigure(network_figure, [self._points], image_format=NETWORK_FORMAT)

        width, height = CHARTS_PX
        charts_figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        axes = charts_figure.subplots(2, 2)
        charts_figure.subplots_adjust(
            left=0.15, right=0.95, bottom=0.11, top=0.84, wspace=0.45, hspace=0.55
        )
        self._chart_axes = list(axes.ravel())
        self._own: list[Line2D] = []
        self._other: list[Line2D] = []
        for chart_ax, chart in zip(self._chart_axes, CHARTS, strict=True):
            chart_ax.set_title(chart.title, fontsize=FONT_SIZE, pad=4)
            chart_ax.set_ylabel(chart.unit, fontsize=FONT_SIZE - 4, labelpad=2)
            chart_ax.tick_params(labelsize=FONT_SIZE - 3, pad=2)
            chart_ax.grid(alpha=0.3)
            (other,) = chart_ax.plot(
                [], [], color=other_colour, linewidth=2.2, linestyle=(0, (4, 2)), label=other_label
            )
            (own,) = chart_ax.plot([], [], color=colour, linewidth=3.2, label=own_label)
            self._own.append(own)
            self._other.append(other)
        for chart_ax in self._chart_axes[2:]:
            chart_ax.set_xlabel("week", fontsize=FONT_SIZE - 3, labelpad=1)
        charts_figure.legend(
            handles=[self._own[0], self._other[0]],
            loc="upper center",
            ncol=2,
            fontsize=FONT_SIZE - 2,
            frameon=False,
            borderaxespad=0.2,
            handlelength=2.6,
            columnspacing=1.2,
        )
        self._charts = _BlitFigure(charts_figure, [*self._other, *self._own])

    @property
    def figures(self) -> tuple[Figure, Figure]:
        """The network and charts figures (for tests and the benchmark)."""
        return self._network.figure, self._charts.figure

    def axis_limits(self) -> list[tuple[float, float]]:
        """The y-limits of the charts as last drawn (for tests)."""
        return [tuple(ax.get_ylim()) for ax in self._chart_axes]  # type: ignore[misc]

    def draw(self, other: SocialManagementModel | None = None) -> Pictures:
        """Update the artists to the model's present state and render both images.

        Args:
            other: The model on the other side; its lines are drawn dashed
                behind this side's, and both sides share y-axes, so the two
                columns of the app compare at a glance.
        """
        with self._lock:
            return Pictures(self._draw_network(), self._draw_charts(other))

    def _draw_network(self) -> bytes:
        residents = self.model.residents
        stance = residents.stance.astype(np.intp)
        self._points.set_facecolor(list(resident_colours(stance, residents.grievance)))
        sizes = self._marker_scale * np.array([STANCE_SIZES[s] for s in sorted(STANCE_SIZES)])
        self._points.set_sizes(sizes[stance])
        return self._network.render(key=None)

    def _draw_charts(self, other: SocialManagementModel | None) -> bytes:
        own_series = _series(self.model)
        other_series = _series(other) if other is not None else None
        steps = len(own_series[CHARTS[0].column])
        if other_series is not None:
            steps = max(steps, len(other_series[CHARTS[0].column]))
        right = HORIZON_CHUNK * max(1, int(np.ceil((steps - 1) / HORIZON_CHUNK)))
        key: list[float] = [right]
        for i, chart in enumerate(CHARTS):
            ys = own_series[chart.column]
            self._own[i].set_data(np.arange(len(ys)), ys)
            peak = _finite_max(ys)
            if other_series is not None:
                other_ys = other_series[chart.column]
                self._other[i].set_data(np.arange(len(other_ys)), other_ys)
                peak = max(peak, _finite_max(other_ys))
            top = axis_top(chart.column, peak)
            ax = self._chart_axes[i]
            ax.set_xlim(0, right)
            ax.set_xticks(np.linspace(0, right, 3))
            ax.set_ylim(0, top)
            ax.set_yticks([0.0, top / 2, top], [_tick(0.0), _tick(top / 2), _tick(top)])
            key.append(top)
        return self._charts.render(key=tuple(key))


def _series(model: SocialManagementModel) -> dict[str, Sequence[float]]:
    """The charted outcome columns collected so far (one value per step)."""
    collected = model.datacollector.model_vars
    return {chart.column: collected[chart.column] for chart in CHARTS}


def _tick(value: float) -> str:
    """A tick label without trailing zeros ("0", "0.5", "10")."""
    return f"{value:g}"


def _finite_max(values: Sequence[float]) -> float:
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    return float(finite.max()) if finite.size else 0.0
