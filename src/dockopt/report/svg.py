"""A few SVG elements, written as escaped markup: the charts of the HTML reports are drawn with these.

Every attribute value and every text is escaped here, so a chart built from repository data (image
names, package specs) cannot inject markup into the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

# Wide enough for most names at the charts' 12px monospace labels; longer ones are shortened with "…".
MONO_CHAR_WIDTH = 7.3


def _number(value: float) -> str:
    """Coordinates with at most one decimal, and no "-0.0": stable text for stable reports."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def attributes(attrs: Mapping[str, object]) -> Markup:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        text = _number(value) if isinstance(value, float) else str(value)
        parts.append(Markup(' {}="{}"').format(name.rstrip("_").replace("_", "-"), text))
    return Markup("").join(parts)


def element(tag: str, attrs: Mapping[str, object], *children: Markup | str) -> Markup:
    """``<tag attrs>children</tag>``; a str child is text (escaped), a Markup child is markup."""
    inner = Markup("").join(escape(child) for child in children)
    if not children:
        return Markup("<{}{} />").format(Markup(tag), attributes(attrs))
    return Markup("<{tag}{attrs}>{inner}</{tag}>").format(tag=Markup(tag), attrs=attributes(attrs), inner=inner)


def text(x: float, y: float, content: str, css_class: str | None = None, anchor: str | None = None) -> Markup:
    return element("text", {"x": float(x), "y": float(y), "class": css_class, "text_anchor": anchor}, content)


def fits(content: str, width: float) -> bool:
    return len(content) <= _capacity(width)


def _capacity(width: float) -> int:
    return max(int(width / MONO_CHAR_WIDTH), 2)


def fitted_text(
    x: float, y: float, content: str, width: float, css_class: str | None = None, keep_end: bool = False
) -> Markup:
    """Text shortened with "…" to fit ``width`` (monospace estimate); the whole text is its tooltip.

    ``keep_end`` cuts the start instead (for paths, whose end says the most).
    """
    limit = _capacity(width)
    if len(content) <= limit:
        return text(x, y, content, css_class)
    shortened = "…" + content[1 - limit :] if keep_end else content[: limit - 1] + "…"
    attrs = {"x": float(x), "y": float(y), "class": css_class}
    return element("text", attrs, element("title", {}, content), shortened)


def rect(x: float, y: float, width: float, height: float, css_class: str, **attrs: object) -> Markup:
    base: dict[str, object] = {"x": float(x), "y": float(y), "width": float(max(width, 0.0)), "height": float(height)}
    return element("rect", {**base, "class": css_class, **attrs})


def svg(width: float, height: float, label: str, parts: Iterable[Markup], css_class: str = "chart") -> Markup:
    """A chart that scales to its container's width (``viewBox``) and says what it shows to screen readers."""
    attrs = {
        "viewBox": f"0 0 {_number(width)} {_number(height)}",
        "width": _number(width),
        "class": css_class,
        "role": "img",
        "aria_label": label,
    }
    return element("svg", attrs, element("title", {}, label), *parts)
