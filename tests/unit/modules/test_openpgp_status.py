"""Reading gpg's status lines (plugins/module_utils/openpgp.py): what counts as a good signature."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils import openpgp

SUBKEY = "1111111111111111111111111111111111111111"
PRIMARY = "2222222222222222222222222222222222222222"
VALIDSIG = f"[GNUPG:] VALIDSIG {SUBKEY} 2025-05-01 1746000000 0 4 0 22 10 00 {PRIMARY}"


def status(*lines: str) -> str:
    return "\n".join(["[GNUPG:] NEWSIG", *lines, ""])


def test_a_good_signature_names_the_signing_key_and_its_primary_key():
    result = openpgp.parse_status(status("[GNUPG:] GOODSIG 2222222222222222 Release <r@example.invalid>", VALIDSIG))
    assert result == {"fingerprint": SUBKEY, "primary_fingerprint": PRIMARY}


def test_a_key_expired_since_it_signed_still_proves_the_origin():
    assert openpgp.parse_status(status("[GNUPG:] EXPKEYSIG 2222222222222222 Old <o@example.invalid>", VALIDSIG))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[GNUPG:] BADSIG 2222222222222222 Release <r@example.invalid>", "does not match"),
        ("[GNUPG:] REVKEYSIG 2222222222222222 Release <r@example.invalid>", "revoked"),
        ("[GNUPG:] ERRSIG 2222222222222222 22 10 00 1746000000 9 -", "could not be checked"),
        ("[GNUPG:] NO_PUBKEY 2222222222222222", "not in the keys file"),
    ],
)
def test_refusals(line, reason):
    # VALIDSIG alongside a refusal must not rescue it.
    with pytest.raises(openpgp.SignatureError, match=reason):
        openpgp.parse_status(status(line, VALIDSIG))


def test_no_status_at_all_is_refused():
    with pytest.raises(openpgp.SignatureError, match="no valid signature"):
        openpgp.parse_status("gpg: Signature made ... Good signature from ...\n")


def test_a_good_signature_without_validsig_is_refused():
    with pytest.raises(openpgp.SignatureError):
        openpgp.parse_status(status("[GNUPG:] GOODSIG 2222222222222222 Release <r@example.invalid>"))


def test_allowed_fingerprints_match_the_primary_or_the_subkey_ignoring_spaces_and_case():
    result = {"fingerprint": SUBKEY, "primary_fingerprint": PRIMARY}
    spaced = " ".join(PRIMARY[i : i + 4] for i in range(0, 40, 4)).lower()
    assert openpgp.check_allowed(result, [spaced]) == result
    assert openpgp.check_allowed(result, [SUBKEY]) == result
    assert openpgp.check_allowed(result, []) == result
    with pytest.raises(openpgp.SignatureError, match="not among the allowed"):
        openpgp.check_allowed(result, ["3" * 40])
