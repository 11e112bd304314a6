import pytest
from fontTools.ttLib import TTFont

from reconciler.errors import ConfigError
from reconciler.reviews.fonts import (
    BOLD,
    REGULAR,
    bundled_fonts,
    code_point,
    code_points,
    report_fonts,
    undrawable,
)
from tests.reviews.fontmaker import EMOJI, JAPANESE, build_font


def test_characters_are_named_by_code_point_and_marks_by_their_unicode_name():
    assert code_point("日") == "U+65E5 '日'"
    assert code_point("🌍") == "U+1F30D '🌍'"
    assert code_point("\u0350") == "U+0350 COMBINING RIGHT ARROWHEAD ABOVE"
    assert code_point("\u2068") == "U+2068 FIRST STRONG ISOLATE"
    many = code_points(list("日本語のテキストです"))
    assert many.startswith("U+65E5 '日', U+672C '本'") and many.endswith(" and 2 more")


def test_bundled_dejavu_draws_european_names_but_not_japanese_or_emoji():
    fonts = bundled_fonts()
    runs = [(BOLD, "Zoë Øvergaard Łukasz Żółć Ана שלום مرحبا", "name")]
    assert undrawable(fonts, runs) == {}
    missing = undrawable(fonts, [(REGULAR, "OK 日本", "answer 1"), (BOLD, "日 🌍", "question 2")])
    assert missing == {"日": ["answer 1", "question 2"], "本": ["answer 1"], "🌍": ["question 2"]}


def test_a_configured_fallback_font_covers_what_it_has_and_only_that(tmp_path):
    build_font(tmp_path / "fonts" / "jp.ttf", JAPANESE)
    fonts = report_fonts(["fonts/jp.ttf"], tmp_path)
    assert undrawable(fonts, [(BOLD, JAPANESE, "answer")]) == {}
    assert undrawable(fonts, [(REGULAR, "日 🌍", "answer")]) == {"🌍": ["answer"]}
    assert "fonts/jp.ttf" in fonts.describe()
    # A Latin review needs no fallback font, so none is embedded in its PDF.
    assert fonts.fallbacks_needed([(REGULAR, "Zoë")]) == ()
    assert fonts.fallbacks_needed([(REGULAR, "Zoë 日")]) == fonts.fallbacks


def test_fallback_fonts_are_tried_in_order_and_only_the_needed_ones_kept(tmp_path):
    jp = build_font(tmp_path / "jp.ttf", JAPANESE)
    emoji = build_font(tmp_path / "emoji.ttf", EMOJI)
    fonts = report_fonts([str(jp), str(emoji)], tmp_path / "elsewhere")
    assert undrawable(fonts, [(REGULAR, JAPANESE + EMOJI, "answer")]) == {}
    assert [f.label for f in fonts.fallbacks_needed([(REGULAR, "🌍")])] == [str(emoji)]


@pytest.mark.parametrize(
    ("entry", "content", "message"),
    [
        (
            "fonts/missing.ttf",
            None,
            "reviews.fallback_fonts[0]: font file 'fonts/missing.ttf' not found",
        ),
        ("fonts/broken.ttf", b"not a font", "'fonts/broken.ttf' is not a readable font"),
        ("fonts/noto.woff2", b"", "'fonts/noto.woff2' is not a TrueType or OpenType font file"),
    ],
)
def test_a_bad_fallback_font_is_a_configuration_error_naming_the_setting(
    tmp_path, entry, content, message
):
    if content is not None:
        (tmp_path / entry).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / entry).write_bytes(content)
    with pytest.raises(ConfigError) as error:
        report_fonts([entry], tmp_path)
    assert str(error.value).startswith("hrsync.yaml: reviews.fallback_fonts[0]: ")
    assert message in str(error.value)


def test_a_font_fpdf2_cannot_embed_is_a_configuration_error_not_a_failure_mid_export(tmp_path):
    font = TTFont(build_font(tmp_path / "jp.ttf", JAPANESE))
    del font["post"]  # fontTools reads the cmap; fpdf2 needs the table to embed the font
    font.save(tmp_path / "no-post.ttf")
    with pytest.raises(ConfigError) as error:
        report_fonts(["no-post.ttf"], tmp_path)
    assert "reviews.fallback_fonts[0]: 'no-post.ttf' cannot be embedded in a PDF" in str(
        error.value
    )
