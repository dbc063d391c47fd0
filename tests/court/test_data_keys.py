"""DATA_KEY is separate from SECRET_KEY, names its key id, and rotates without losing data."""
from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from court import crypto, db
from court.models import Party
from court.services import cases
from tests.support.factories import id_number

K1 = "k1:" + "1" * 48
K2 = "k2:" + "2" * 48


def _old_style(secret: str, value: str) -> bytes:
    """A ciphertext as the code wrote it before key ids existed (key derived from SECRET_KEY)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"court-platform", info=b"encrypt").derive(secret.encode())
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, value.encode(), b"pd")


def _party(s, court, number: str) -> Party:
    case = cases.create_case(s, court, f"（2026）京0491民初{number}号", "civil")
    party, _code = cases.add_parties(s, case, [cases.PartyInput(
        cases.PartyRole.PLAINTIFF, "张三", id_number(seq=number), "13800000001")])[0]
    s.commit()
    return party


def test_development_data_written_before_key_ids_stays_readable(app, config):
    old = _old_style(config.SECRET_KEY, "110101199003071234")
    assert crypto.decrypt(old) == "110101199003071234"
    legacy_lookup = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"court-platform", info=b"lookup").derive(
        config.SECRET_KEY.encode())
    import hashlib
    import hmac
    assert crypto.lookup_hash("x") == hmac.new(legacy_lookup, b"x", hashlib.sha256).hexdigest()


def test_changing_the_session_key_keeps_personal_data(config, court_setup, s):
    from app import create_app

    court, _ = court_setup
    config.DATA_KEY = K1
    create_app(config)
    party = _party(s, court, "101")
    config.SECRET_KEY = "a-completely-new-session-key-" + "z" * 20
    create_app(config)
    db.session.remove()
    again = db.session().get(Party, party.id)
    assert crypto.decrypt(again.id_number_enc) == id_number(seq="101")


def test_rotation_keeps_old_data_readable_and_re_encrypts_under_the_new_key(config, court_setup, s):
    from app import create_app

    court, _ = court_setup
    config.DATA_KEY = K1
    create_app(config)
    first = _party(s, court, "102")
    assert crypto.key_id_of(first.id_number_enc) == "k1"
    hash_before = first.id_number_hash

    config.DATA_KEY, config.DATA_KEYS_PREVIOUS = K2, K1
    app2 = create_app(config)
    s = db.session()
    second = _party(s, court, "103")
    assert crypto.key_id_of(second.id_number_enc) == "k2"  # new data under the new key at once
    assert crypto.decrypt(s.get(Party, first.id).id_number_enc) == id_number(seq="102")  # old still readable

    result = app2.test_cli_runner().invoke(args=["court", "rotate-data-key"])
    assert result.exit_code == 0, result.output
    assert "1 个加密字段" in result.output
    db.session.remove()
    rows = db.session().scalars(select(Party).order_by(Party.id)).all()
    assert {crypto.key_id_of(p.id_number_enc) for p in rows} == {"k2"}
    assert rows[0].id_number_hash == hash_before  # links, codes and look-ups keep working

    config.DATA_KEYS_PREVIOUS = ""  # the old key gone: what was rotated is still readable
    create_app(config)
    assert crypto.decrypt(db.session().get(Party, first.id).id_number_enc) == id_number(seq="102")


def test_a_value_under_an_unknown_key_is_refused_not_misread(app):
    crypto.configure("x", K1)
    blob = crypto.encrypt("secret")
    crypto.configure("x", K2)
    with pytest.raises(Exception, match="no configured data key"):
        crypto.decrypt(blob)
