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
    int(Stance.QUIET): 16.0,
    int(Stance.PETITIONING): 34.0,
    int(Stance.PROTESTING): 44.0,
    int(Stance.DETAINED): 30.0,
}
LIGHTEST = 0.3
"""Share of the stance hue a resident with no grievance shows (the rest is white)."""

MAX_EDGES = 2500
"""Edges drawn at most: the network is a spatial small world, so a random
subsample keeps its look while sparing the renderer."""

CHARTS: tuple[tuple[str, str], ...] = (
    ("mean_legitimacy", "Trust in government"),
    ("mean_grievance", "Grievance"),
    ("hidden_grievance", "Hidden grievance"),
    ("mass_incidents", "Mass incidents"),
)
"""Outcome columns charted for each side, with their chart titles."""

NETWORK_FORMAT = "jpeg"
"""Image format of the network picture (see ``_encode``); the charts are PNG."""

FONT_SIZE = 15
DPI = 72


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


def nice_ceiling(value: float, floor: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (and at least ``floor``).

    Axis tops move in these few jumps only, so the charts' background (ticks
    and labels) rarely needs redrawing while the lines grow.
    """
    value = max(value, floor)
    exponent = np.floor(np.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        top = float(mantissa * 10.0**exponent)
        if top >= value * (1 - 1e-12):
            return top
    return float(10.0 ** (exponent + 1))  # pragma: no cover - unreachable


HORIZON_CHUNK = 52
"""The charts' x-axis grows a year at a time."""


class SideDrawing:
    """The figures of one side, built once, updated and rendered every step.

    Args:
        model: The side's model (the drawing is tied to it; a reset makes a
            new model and so a new drawing).
        colour: The side's line colour in the charts.
        width_px: Width of each image in pixels (the browser scales them).
    """

    def __init__(self, model: SocialManagementModel, colour: str, width_px: int = 520) -> None:
        self.model = model
        self.colour = colour
        self._lock = threading.Lock()
        inches = width_px / DPI

        network_figure = Figure(figsize=(inches, inches * 1.1), dpi=DPI)
        ax = network_figure.add_axes((0.01, 0.12, 0.98, 0.87))
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.add_collection(
            LineCollection(list(edge_segments(model)), colors="#d2d2d2", linewidths=0.5, zorder=1)
        )
        position = model.residents.position
        self._points = ax.scatter(position[:, 0], position[:, 1], s=9.0, linewidths=0, zorder=2)
        handles = [
            Line2D(
                [], [], linestyle="", marker="o", markersize=13,
                color=STANCE_COLOURS[s], label=STANCE_LABELS[s],
            )
            for s in sorted(STANCE_LABELS)
        ]
        network_figure.legend(
            handles=handles, loc="lower center", ncol=4, fontsize=FONT_SIZE, frameon=False,
            handletextpad=0.1, columnspacing=0.9, borderaxespad=0.2,
            title="stance (darker = more grievance)", title_fontsize=FONT_SIZE - 1,
        )
        self._network = _BlitFigure(network_figure, [self._points], image_format=NETWORK_FORMAT)

        charts_figure = Figure(figsize=(inches, inches * 0.8), dpi=DPI)
        axes = charts_figure.subplots(2, 2)
        charts_figure.subplots_adjust(
            left=0.12, right=0.97, bottom=0.12, top=0.92, wspace=0.35, hspace=0.55
        )
        self._chart_axes = list(axes.ravel())
        self._own: list[Line2D] = []
        self._other: list[Line2D] = []
        for chart_ax, (_, title) in zip(self._chart_axes, CHARTS, strict=True):
            chart_ax.set_title(title, fontsize=FONT_SIZE)
            chart_ax.tick_params(labelsize=FONT_SIZE - 3)
            chart_ax.grid(alpha=0.3)
            (other,) = chart_ax.plot([], [], color="#8a8a8a", linewidth=1.5, linestyle="--")
            (own,) = chart_ax.plot([], [], color=colour, linewidth=2.5)
            self._own.append(own)
            self._other.append(other)
        for chart_ax in self._chart_axes[2:]:
            chart_ax.set_xlabel("week", fontsize=FONT_SIZE - 2)
        self._charts = _BlitFigure(charts_figure, [*self._other, *self._own])

    @property
    def figures(self) -> tuple[Figure, Figure]:
        """The network and charts figures (for tests and the benchmark)."""
        return self._network.figure, self._charts.figure

    def draw(self, other: SocialManagementModel | None = None) -> Pictures:
        """Update the artists to the model's present state and render both PNGs.

        Args:
            other: The model on the other side; its lines are drawn in grey
                (dashed) behind this side's, and both sides share y-axes, so
                the two columns of the app compare at a glance.
        """
        with self._lock:
            return Pictures(self._draw_network(), self._draw_charts(other))

    def _draw_network(self) -> bytes:
        residents = self.model.residents
        stance = residents.stance.astype(np.intp)
        self._points.set_facecolor(list(resident_colours(stance, residents.grievance)))
        sizes = np.array([STANCE_SIZES[s] for s in sorted(STANCE_SIZES)])
        self._points.set_sizes(sizes[stance])
        return self._network.render(key=None)

    def _draw_charts(self, other: SocialManagementModel | None) -> bytes:
        own_series = _series(self.model)
        other_series = _series(other) if other is not None else None
        steps = len(own_series[CHARTS[0][0]])
        if other_series is not None:
            steps = max(steps, len(other_series[CHARTS[0][0]]))
        right = HORIZON_CHUNK * max(1, int(np.ceil((steps - 1) / HORIZON_CHUNK)))
        key: list[float] = [right]
        for i, (column, _) in enumerate(CHARTS):
            ys = own_series[column]
            self._own[i].set_data(np.arange(len(ys)), ys)
            top = _finite_max(ys)
            if other_series is not None:
                other_ys = other_series[column]
                self._other[i].set_data(np.arange(len(other_ys)), other_ys)
                top = max(top, _finite_max(other_ys))
            if column in ("mean_legitimacy", "mean_grievance"):
                top = 1.0
            else:
                top = nice_ceiling(top, 1.0 if column == "mass_incidents" else 0.05)
            ax = self._chart_axes[i]
            ax.set_xlim(0, right)
            ax.set_ylim(0, top)
            key.append(top)
        return self._charts.render(key=tuple(key))


def _series(model: SocialManagementModel) -> dict[str, Sequence[float]]:
    """The charted outcome columns collected so far (one value per step)."""
    collected = model.datacollector.model_vars
    return {column: collected[column] for column, _ in CHARTS}


def _finite_max(values: Sequence[float]) -> float:
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    return float(finite.max()) if finite.size else 0.0
