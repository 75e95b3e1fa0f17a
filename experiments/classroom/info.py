"""The Info tab of each error: what it is, how the model grows it, what to try.

In the style of NetLogo's Info tab: for each of the six errors, what the
error is (a paraphrase of Gong Weibin's article, cited, never quoted), how it
works in the model (the levers and submodels of ODD.md sections 7-8), things
to notice, things to try, and where the claim stops holding in the model.
The "things to notice" were checked against runs at the default settings
(seed 42, 2,000 residents); they describe one run, so the panels also point
pupils to ``sixerrors compare`` for intervals over replications.

The levers a pair differs in are never typed here: the first paragraph of
"How it works" is generated from ``model.ERRORS`` and the regimes
(:func:`lever_text`), with each lever's declared label, so a pair whose
levers change cannot leave a panel naming the old ones
(``tests/test_classroom.py`` checks every panel names exactly its pair's
levers, and only sliders the classroom shows in "Things to try").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from experiments.classroom.labels import plain_label, value_text
from model import ERRORS, REGIMES

CITATION = "Gong Weibin, Study Times, 15 Oct 2012"
"""How the app cites the source article (an English translation with an introduction)."""


@dataclass(frozen=True)
class InfoPanel:
    """The five sections of one Info tab, as Markdown.

    Attributes:
        title: Heading of the panel.
        what: What the error is, paraphrasing the article (cited).
        how: How it works in the model.
        notice: Things to notice while it runs.
        try_: Things to try with the sliders.
        limits: Where the claim stops holding in the model.
    """

    title: str
    what: str
    how: str
    notice: str
    try_: str
    limits: str

    def sections(self) -> tuple[tuple[str, str], ...]:
        """(heading, Markdown) pairs in the order the panel shows them."""
        return (
            ("What the error is", self.what),
            ("How it works in the model", self.how),
            ("Things to notice", self.notice),
            ("Things to try", self.try_),
            ("Where it stops holding", self.limits),
        )


def named(name: str) -> str:
    """A parameter as the panels write it: its slider label, then its name in code.

    The label is what the class reads on the slider; the name is what the
    notebooks, ODD.md and ``sixerrors run --set`` use.
    """
    return f"**{plain_label(name)}** (`{name}`)"


def _value(name: str, value: object) -> str:
    """A lever's value with its unit, singular for one ("1 agency", not "1 agencies")."""
    text = value_text(name, value)
    return text[:-3] + "y" if text.startswith("1 ") and text.endswith("ies") else text


def lever_text(error: int) -> str:
    """The levers in which error ``error``'s two regimes differ, with each side's value.

    Generated from ``model.ERRORS`` and ``model.REGIMES``, so it is always
    the pair's own levers (the panels' prose explains what they do).
    """
    pair = ERRORS[error]
    on_error = REGIMES[pair.error_regime].resolve()
    on_remedy = REGIMES[pair.remedy_regime].resolve()
    items = [
        f"{named(lever)}, error side {_value(lever, getattr(on_error, lever))}, "
        f"remedy side {_value(lever, getattr(on_remedy, lever))}"
        for lever in pair.levers
    ]
    joined = items[0] if len(items) == 1 else "; ".join(items[:-1]) + "; and " + items[-1]
    return f"The two sides differ only in {joined}."


_REPLICATE = (
    "One seed is one possible city. Change the seed box and reset to see how much "
    "is chance; `sixerrors compare` runs many seeds and gives confidence intervals."
)

PANELS: dict[int, InfoPanel] = {
    1: InfoPanel(
        "Error 1 - a rigid view of stability",
        what=(
            "Gong argues that some officials picture a stable society as one with no "
            "conflict and no dissent at all. Holding that picture, they block ordinary "
            "appeals and go to great lengths to stamp out anything that looks unusual. "
            "For him stability rests on people's trust in the political system; a "
            "petition is a sign of that trust, not a threat. A stable society still has "
            "conflict, but keeps it within what it can absorb and lets discontent out "
            f"through 'safety valves', so officials should be tolerant and flexible "
            f"rather than tense ({CITATION})."
        ),
        how=(
            f"{lever_text(1)}\n\n"
            "Tolerance is the chance a handled petition is accepted; repression the "
            "readiness to arrest protesters and detain petitioners. An accepted "
            "petition releases part of the resident's "
            "grievance and raises trust. An intercepted one is an injustice: trust "
            "falls, the resident avoids the channel for a while (`rebuff_memory`), may "
            "be detained, and the network neighbours feel the backlash. Residents who "
            "no longer petition keep their grievance to themselves: that is the "
            "**hidden grievance** chart."
        ),
        notice=(
            "- For the first months the two cities look much alike; the difference "
            "builds slowly.\n"
            "- On the error side quiet residents darken (grievance held in silence) and "
            "hidden grievance climbs while trust slides.\n"
            "- In the default run (seed 42) the first mass incident comes on the error "
            "side after more than a year; the safety-valve side stays calm for five.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            "- Raise the error side's tolerance a step at a time: where do the sides "
            "start to look alike?\n"
            "- Keep tolerance low but set repression to 0: is interception alone "
            "enough to build hidden grievance?\n"
            f"- Lower {named('initial_legitimacy')} or raise {named('shock_rate')}: does "
            "the gap widen?"
        ),
        limits=(
            "- A petition can only be answered if cadres have service time for it "
            "(capacity per district); when petitions far exceed it, most go unanswered "
            "on both sides and tolerance has little to act on.\n"
            "- Answering releases grievance but does not fix livelihoods unless the "
            "worst need is resolved; when shocks are heavy, grievance rebuilds.\n"
            "- With little grievance to release (low `inflow_rate`, few shocks) "
            "the two sides stay alike."
        ),
    ),
    2: InfoPanel(
        "Error 2 - government control alone",
        what=(
            "Gong observes that in many places social management still means only "
            "government control: standing guard and reacting when trouble breaks out, "
            "intercepting people, and doing everything alone, instead of tackling "
            "problems at their source through better services and livelihoods, open "
            "channels for demands and the participation of residents, firms and "
            "organizations. He asks for management that society shares, with "
            f"government neither absent nor overreaching ({CITATION})."
        ),
        how=(
            f"{lever_text(2)}\n\n"
            "The effort on control is the share of each cadre's time spent "
            "intercepting petitioners and arresting protesters (and it is the control "
            "residents see when they weigh the risk of protest); the rest is service: "
            "answering petitions and talking with protesters. Self-management hands a "
            "share of the livelihood budget to each district's neighbourhood committee, "
            "which spends it where its own residents' needs weigh most instead of "
            "where the city's planner sees need; running the committees costs a share "
            "of what they are given."
        ),
        notice=(
            "- Petitions go unanswered on the error side: there is little service "
            "time to answer them, and each unanswered petition is a small injustice.\n"
            "- Hardship falls further on the remedy side, where committees aim part of "
            "the budget at what their residents need most.\n"
            "- In the default run (seed 42) the first mass incident comes on the error "
            "side in the first year, on the remedy side nearly a year later, and the "
            "error side has many times more of them.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            "- Put one remedy-side lever back to its error value at a time: which of "
            "the two carries most of the difference?\n"
            f"- Raise {named('shock_rate')}: when needs arise faster, does handing "
            "money to the neighbourhoods matter more?"
        ),
        limits=(
            "- Control deters protest in the model: more control can keep visible "
            "protest lower for a while, so judged only by incidents in the short run, "
            "the error can look like a success.\n"
            "- Devolved money is not free: committees lose a share of it to running "
            "them (`committee_overhead`) and hear the better-off and the organized more "
            "(`participation_capture`); with heavy overhead or strong capture, "
            "self-management buys little."
        ),
    ),
    3: InfoPanel(
        "Error 3 - unwilling to develop social organizations",
        what=(
            "Gong credits social organizations with services, help for the "
            "unemployed, defence of rights and mediation, and finds far too few of "
            "them for the country's size. Many officials, he says, privately fear that "
            "strong organizations would become rivals of the party and government, and "
            "so put obstacles in their way. His remedy: ease entry for economic, "
            "public-interest, charitable and community organizations, support and "
            "regulate them, so that society also manages itself "
            f"({CITATION})."
        ),
        how=(
            f"{lever_text(3)}\n\n"
            "Approval is the chance an application to found an organization is "
            "approved. Support adds capacity but also dependence: a dependent "
            "organization mediates less and appeals less to recruits, and support "
            "costs the livelihood budget per member. Members' "
            "weightiest need is relieved, their petitions are more often accepted "
            "(mediation) and their grievance fades faster (society settling its own "
            "conflicts). A closed regime also shuts advocacy organizations, which "
            "members feel as an injustice."
        ),
        notice=(
            "- The organizations counter climbs on the remedy side; on the error side "
            "few are approved.\n"
            "- Even with many more organizations, trust and grievance hardly differ: "
            "members are few (well under 1 % of residents after three years), and the "
            "benefits reach members only. Over many cities the difference in trust "
            "is within a thousandth either way.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            f"- Set the remedy side's {named('org_support')} to 100 %: more capacity, "
            "but full dependence. What happens to the gap?\n"
            f"- Raise {named('mean_degree')}: members recruit through their ties; does "
            "membership spread faster?"
        ),
        limits=(
            "- Organizations are founded by aggrieved residents: in a calm city few "
            "are founded on either side.\n"
            "- Without oversight (part of rights protection, the same on both sides "
            "here) missions drift toward profit: a drifting organization serves less "
            "and loses members. Openness alone is not enough.\n"
            "- Support buys capacity at the price of autonomy, so more support is not "
            "always better."
        ),
    ),
    4: InfoPanel(
        "Error 4 - stability over rights",
        what=(
            "Gong notes a long habit of treating stability as control: managing, "
            "restricting, prohibiting and punishing, with cadres acting after "
            "incidents to avoid blame instead of preventing problems at their source. "
            "He argues that protecting people's lawful rights (to information, "
            "participation, expression and oversight of government) is the basis of "
            "lasting stability, and that channels for demands and organizations that "
            f"defend people's interests should be opened ({CITATION})."
        ),
        how=(
            f"{lever_text(4)}\n\n"
            "Rights protection is the chance that a protester who is not arrested gets "
            "dialogue (the claim is answered like a petition); it also makes "
            "petitioning safer (residents expect less retaliation) and keeps "
            "organizations true to their missions through oversight. Prevention sends "
            "a share of the cadres' control effort to quiet residents whose grievance "
            "has passed a watch level, resolving their weightiest need if the budget "
            "can pay: problems settled at their source, before they erupt. The control "
            "it diverts no longer intercepts, arrests or deters."
        ),
        notice=(
            "- Quiet residents darken more on the error side: grievance builds where "
            "nobody looks until it erupts, and hidden grievance climbs.\n"
            "- The remedy side deters less, yet protests less: in the default run "
            "(seed 42) it has a handful of mass incidents in five years, the error side "
            "hundreds.\n"
            "- The gap in trust is smaller than for Errors 1 and 6; look at "
            "grievance and hidden grievance after two or three years.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            "- Give the error side some prevention (40 %) but keep its rights low: "
            "which lever carries more of the gap?\n"
            f"- Raise {named('shock_rate')}: does prevention at the source matter more "
            "when needs arise faster?\n"
            f"- Raise {named('prevention_watch_level')}: prevention then waits for "
            "deeper grievance. Does the remedy still win?"
        ),
        limits=(
            "- Prevention is paid from the same budget as relief and concessions: when "
            "needs arise faster than the budget can pay, it finds residents it cannot "
            "help.\n"
            "- Diverted control no longer deters; where protest spreads easily (high "
            "contagion), less deterrence can mean more protest.\n"
            "- Dialogue needs service time; with little of it, rights change little."
        ),
    ),
    5: InfoPanel(
        "Error 5 - livelihood without democracy",
        what=(
            "Gong acknowledges large recent investment in jobs, schooling, health, "
            "housing and social security, yet finds that discontent has not eased and "
            "that livelihood projects themselves have caused disputes, because "
            "decisions ignored what the public actually wanted. He links livelihood to "
            "democracy: letting residents take part in deciding improves the "
            f"decisions and wins understanding and support for them ({CITATION})."
        ),
        how=(
            f"{lever_text(5)}\n\n"
            "Both sides spend the same, larger livelihood budget across the five "
            "domains. Top-down, the budget follows the planner's picture of need, "
            "which is off by a per-run error (the planner's error) and ignores what "
            "residents weigh most; top-down projects also start disputes and raise "
            "expectations when announced. With participation, participants' own "
            "priorities steer the split, participants discount promises they know "
            "cannot all be kept, and taking part adds a little trust (procedural "
            "justice). Participation costs money per participant, and the better-off "
            "take part more."
        ),
        notice=(
            "- The 'budget off target' counter (distance between where the money goes "
            "and where weighted need is) is much lower on the remedy side.\n"
            "- The same money lowers hardship more, and trust ends higher.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            f"- Set {named('planner_bias')} to 0: a planner who measures need "
            "perfectly. Is participation still better?\n"
            "- Give the error side a little participation (0.1): how much does a small "
            "voice change?"
        ),
        limits=(
            "- With an accurate planner and residents who share the same priorities "
            "the top-down split is already close to right.\n"
            "- When the budget is tiny, where it goes hardly matters."
        ),
    ),
    6: InfoPanel(
        "Error 6 - abused grid management",
        what=(
            "Gong describes grid management, dividing a city into cells and gathering "
            "information on people and events so problems are found and dealt with "
            "quickly, as a genuine innovation. He warns against two abuses: agencies "
            "that each build their own grid without sharing information, duplicating "
            "spending; and tiny cells of five or ten households with a 'grid captain' "
            "and collective responsibility, which either achieve nothing or intrude "
            f"on private life ({CITATION})."
        ),
        how=(
            f"{lever_text(6)}\n\n"
            "On both sides grid staff resolve the needs they find (service mode). The "
            "grid costs a staffer per cell and agency, and a platform per agency that "
            "keeps its own records, paid from the livelihood budget before any relief. "
            "Siloed agencies duplicate routine visits (intrusion) and reach the agency "
            "that could help only by chance; collective responsibility penalises a "
            "protester's whole cell, which deters but is felt as an injustice."
        ),
        notice=(
            "- The grid cost counter: many times higher on the error side, eating the "
            "relief budget.\n"
            "- Trust on the error side collapses within the first year and protests "
            "and incidents follow, despite the close watch and the collective "
            "penalties that are meant to deter them.\n"
            f"- {_REPLICATE}"
        ),
        try_=(
            "- Turn collective responsibility off on the error side, then turn "
            "information sharing on: which abuse costs the most trust?\n"
            f"- Make the error side's cells coarser ({named('grid_cell_households')}: 50, "
            "100).\n"
            f"- Lower {named('grid_staff_cost')}: is a fine grid still worse when "
            "staff are cheap?"
        ),
        limits=(
            "- Fine cells detect more; if staff were cheap and information shared, a "
            "fine grid could help rather than harm.\n"
            "- The intrusion effect rests on assumed costs of each visit "
            "(`grid_intrusion`, `trust_visit`); set them to zero and only the budget "
            "effect remains."
        ),
    ),
}
"""The Info tab of each error, by the error's number."""

EXTRA_WORLD: dict[int, tuple[str, ...]] = {
    1: ("release",),
    4: ("prevention_watch_level",),
    5: ("planner_bias",),
    6: ("grid_staff_cost",),
}
"""World parameters the 'things to try' of an error mention, shown as extra sliders."""


def free_pair_panel(left: str, right: str) -> InfoPanel:
    """The Info tab for two regimes chosen freely (no error of the article)."""
    return InfoPanel(
        f"{left} and {right}",
        what=(
            "Two regimes of your choice, not one of the article's six pairs. The "
            f"article's errors are explained in their own panels ({CITATION})."
        ),
        how=(
            f"**{left}**: {REGIMES[left].description}\n\n"
            f"**{right}**: {REGIMES[right].description}\n\n"
            "A slider per side is shown for every lever in which the two differ."
        ),
        notice=(
            "- Both cities start identical (same seed); every difference comes from "
            "the levers.\n"
            f"- {_REPLICATE}"
        ),
        try_="- Move one side's sliders to the other side's values one at a time.",
        limits=(
            "- Regimes that differ in many levers at once do not say which lever "
            "causes a difference; the six error pairs were chosen to differ in one "
            "group only."
        ),
    )


def to_html(text: str) -> str:
    """HTML of the panels' small Markdown: paragraphs, ``- `` lists, bold, code.

    The panels use only these four things; converting them here keeps the
    page free of any Markdown front end (see ``views.InfoTab``).
    """

    def inline(line: str) -> str:
        line = html.escape(line, quote=False)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", line)

    blocks = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append(f"<p>{inline(' '.join(lines))}</p>")
    return "".join(blocks)
