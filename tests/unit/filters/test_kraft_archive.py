"""Which digest a downloaded Kafka archive must match (plugins/filter/kraft_archive.py)."""

import importlib.util
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("kraft_archive", REPO / "plugins" / "filter" / "kraft_archive.py")
archive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(archive)

ROLE = REPO / "roles" / "kafka_kraft"
PINNED = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["_kafka_kraft_archive_digests"]
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
HEX = "ab" * 64


def test_the_default_release_has_a_pinned_sha512():
    name = f"kafka_{DEFAULTS['kafka_kraft_scala_version']}-{DEFAULTS['kafka_kraft_version']}.tgz"
    trust = archive.kraft_archive_trust(name, "", PINNED, True)
    assert trust["source"] == "pinned"
    assert trust["checksum"].startswith("sha512:")
    assert len(trust["checksum"]) == len("sha512:") + 128


def test_signatures_are_checked_by_default():
    assert DEFAULTS["kafka_kraft_archive_verify_signature"] is True


def test_the_users_digest_wins_and_is_normalized():
    trust = archive.kraft_archive_trust("kafka_2.13-3.9.1.tgz", "SHA512: " + HEX.upper(), PINNED, True)
    assert trust == {"checksum": "sha512:" + HEX, "source": "user"}


def test_an_unknown_release_relies_on_the_published_digest_and_the_signature():
    assert archive.kraft_archive_trust("kafka_2.13-9.9.9.tgz", "", PINNED, True) == {
        "checksum": "",
        "source": "published",
    }


def test_an_unknown_release_without_a_signature_check_is_refused():
    with pytest.raises(AnsibleFilterError, match="kafka_kraft_archive_checksum"):
        archive.kraft_archive_trust("kafka_2.13-9.9.9.tgz", "", PINNED, False)


def test_a_pinned_release_needs_no_signature_check():
    assert archive.kraft_archive_trust("kafka_2.13-3.9.1.tgz", "", PINNED, False)["source"] == "pinned"


@pytest.mark.parametrize("bad", ["md5:" + "a" * 32, "sha512:" + "a" * 127, "sha256:xyz", HEX])
def test_malformed_digests_are_refused(bad):
    with pytest.raises(AnsibleFilterError, match="sha512:<128 hex digits>"):
        archive.kraft_archive_trust("kafka_2.13-3.9.1.tgz", bad, PINNED, True)


def test_apaches_multi_line_print_md_format_is_read():
    published = "kafka_2.13-3.9.1.tgz: " + " ".join(HEX[i : i + 8].upper() for i in range(0, 64, 8))
    published += "\n                      " + " ".join(HEX[i : i + 8].upper() for i in range(64, 128, 8)) + "\n"
    assert archive.kraft_published_digest(published) == "sha512:" + HEX


def test_the_sha512sum_format_is_read():
    assert archive.kraft_published_digest(HEX + "  kafka_2.13-3.9.1.tgz\n") == "sha512:" + HEX


def test_an_empty_published_file_is_refused():
    with pytest.raises(AnsibleFilterError):
        archive.kraft_published_digest("")
