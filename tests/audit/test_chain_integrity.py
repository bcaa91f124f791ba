"""The pure verifier against forged inputs an offline bundle could carry: checkpoints that do not
start where the records do or whose signature is bad though their first record is absent, elided
records that still carry content, and records no signature covers."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.audit.integrity import chain, merkle

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def records(first: int, last: int, prev: str = chain.GENESIS) -> list[dict]:
    out = []
    for seq in range(first, last + 1):
        record = {"seq": seq, "action": f"test.{seq}", "prev_hash": prev}
        record["record_hash"] = prev = chain.record_hash(record)
        out.append(record)
    return out


def checkpoint(rows: list[dict], number: int = 1, prev_signature: str = "null", key=KEY) -> dict:
    hashes = [r["record_hash"] for r in rows]
    cp = {"stream": "product", "number": number, "first_seq": rows[0]["seq"], "last_seq": rows[-1]["seq"],
          "leaf_hashes": [], "root_hash": merkle.root(chain.checkpoint_leaves(prev_signature, hashes)).hex(),
          "prev_signature": prev_signature, "signed_at": "2026-11-29T00:00:00.000000Z",
          "key_fingerprint": chain.key_fingerprint(PUBLIC)}
    cp["signature"] = key.sign(chain.checkpoint_message(cp)).hex()
    return cp


def test_a_whole_signed_chain_verifies():
    rows = records(1, 7)
    assert chain.verify(rows, [checkpoint(rows)], PUBLIC).ok


def test_a_bad_signature_is_found_even_when_the_checkpoints_first_records_are_left_out():
    rows = records(1, 7)
    forged = checkpoint(rows, key=Ed25519PrivateKey.generate()) | {"key_fingerprint": chain.key_fingerprint(PUBLIC)}
    report = chain.verify(rows[2:], [forged], PUBLIC, first_seq=3, prev_hash=rows[1]["record_hash"])
    assert not report.ok


def test_checkpoints_must_start_where_the_records_do():
    rows = records(1, 7)
    report = chain.verify(rows[2:], [checkpoint(rows)], PUBLIC, first_seq=3, prev_hash=rows[1]["record_hash"])
    assert (report.first_break.seq, report.first_break.kind) == (1, "checkpoint")


def test_an_elided_record_that_carries_content_is_a_change():
    rows = records(1, 5)
    cp = checkpoint(rows)
    smuggled = [*rows[:2], rows[2] | {"elided": True, "action": "forged"}, *rows[3:]]
    broken = chain.verify(smuggled, [cp], PUBLIC).first_break
    assert (broken.seq, broken.kind) == (3, "changed")
    stub = {k: rows[2][k] for k in ("seq", "prev_hash", "record_hash")} | {"elided": True}
    assert chain.verify([*rows[:2], stub, *rows[3:]], [cp], PUBLIC).ok


def test_records_no_signature_covers_are_reported_unsealed():
    rows = records(1, 5)
    assert chain.verify(rows, [], PUBLIC).unsealed_from == 1
    assert chain.verify(rows, [checkpoint(rows[:3])], PUBLIC).unsealed_from == 4
