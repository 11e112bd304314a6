import pytest

from reconciler.reviews.naming import review_filename
from reconciler.state.paths import child_path

HOSTILE = ["..", ".", "../../etc/passwd", "a/b\\c", ".hidden", "x\x00y", "C:evil", " . ", ""]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_file_name_from_hostile_cycle_name_or_review_id_stays_one_plain_entry(tmp_path, text):
    """Sources build the document's path from the file name: it must never leave its folder."""
    taken = {review_filename(text, text, version=1, review_id=text, taken=set())}
    for version in (1, 2):
        name = review_filename(text, text, version=version, review_id=text, taken=taken)
        assert child_path(tmp_path, name).parent == tmp_path
        assert name.endswith(".pdf") and not name.startswith(".")
