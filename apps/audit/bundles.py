"""Export bundles: an auditor's selection of records with everything needed to verify it offline — the
checkpoints covering it, the records in between reduced to their hashes (so the chain stays whole
without showing what was not asked for), the public key, and the verifier itself (integrity/bundle.py,
shipped as a runnable zip). The bundle is streamed: nothing is held in memory but the page at hand."""

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Max, Min

from . import decisions, keys, selectors, services
from .integrity import bundle as offline
from .integrity import chain
from .models import AuditCheckpoint, AuditRecord

INTEGRITY = Path(__file__).resolve().parent / "integrity"
SHIPPED = ("__init__.py", "canonical.py", "merkle.py", "chain.py", "bundle.py")
MAIN = b"import sys\n\nfrom inferops_audit.bundle import main\n\nsys.exit(main(sys.argv[1:]))\n"
README = b"""InferOps audit export bundle
============================

Verify it with Python 3.9+ and the `cryptography` package, offline:

    python3 -m pip install cryptography      # if it is not installed
    python3 THIS-FILE.zip

The verifier is in inferops_audit/ (bundle.py documents the procedure step by step); it prints the
signing key's fingerprint, which you compare with the one your InferOps operator published
(`manage.py audit public-key`). Exit status 0: every record is covered by a valid signed checkpoint;
1: a stream is broken (the first record where it breaks is printed); 2: the bundle cannot be read;
3: the chain holds but its newest records are not signed yet (export again after the next seal).

Records are in <stream>/records.jsonl (one JSON object per line, in order); records the export's
filter left out appear only as their sequence number and hashes ("elided": true).
"""


@dataclass
class Stream:
    name: str
    folder: str
    records: Iterable[dict]
    checkpoints: list[dict]
    first_seq: int
    prev_hash: str
    prev_signature: str


def _span(checkpoints, first: int, last: int) -> tuple[list[dict], int, int]:
    """The checkpoints covering records first…last, and the record range they (and any unsealed
    records up to ``last``) span."""
    chosen, start, end = chain.covering([cp.as_checkpoint() for cp in checkpoints], first, last)
    return chosen, start, end if end is not None else last


def product_stream(project_id: int | None, f: selectors.RecordFilter) -> Stream:
    matching = selectors.project_records(project_id, f)
    bounds = matching.aggregate(first=Min("seq"), last=Max("seq"))
    if bounds["first"] is None:
        return Stream("product", "product", [], [], 1, chain.GENESIS, "null")
    covering, start, end = _span(AuditCheckpoint.objects.filter(stream=chain.STREAM).order_by("number"),
                                 bounds["first"], bounds["last"])
    wanted = set(matching.values_list("seq", flat=True))
    rows = AuditRecord.objects.filter(seq__gte=start, seq__lte=end).order_by("seq").iterator(chunk_size=2000)
    records = (r.as_record() if r.seq in wanted else _elided(r.as_record()) for r in rows)
    first = AuditRecord.objects.filter(seq=start).values_list("prev_hash", flat=True).first()
    return Stream("product", "product", records, covering, start, first or chain.GENESIS,
                  covering[0]["prev_signature"] if covering else "null")


def decision_stream(project_id: int, f: decisions.DecisionFilter) -> Stream:
    name = decisions.stream(project_id)
    first = decisions.records(project_id, f, limit=1)
    if not first.height:
        return Stream(name, "decisions", [], [], 1, chain.GENESIS, "null")
    last = decisions.records(project_id, f, newest_first=True, limit=1)
    covering, start, end = _span(AuditCheckpoint.objects.filter(stream=name).order_by("number"),
                                 int(first["seq"][0]), int(last["seq"][0]))
    prev = next(decisions.iter_records(project_id, start, start), {}).get("prev_hash", chain.GENESIS)
    return Stream(name, "decisions", decisions.iter_records(project_id, start, end, f), covering, start, prev,
                  covering[0]["prev_signature"] if covering else "null")


def _elided(record: dict) -> dict:
    return {"seq": record["seq"], "prev_hash": record["prev_hash"], "record_hash": record["record_hash"],
            "elided": True}


def manifest(project_id: int | None, streams: list[Stream], query: str) -> dict:
    return {"format": offline.FORMAT, "created_at": services.now(), "project_id": project_id, "query": query,
            "key_fingerprint": keys.fingerprint(), "streams": [
                {"name": s.name, "records": f"{s.folder}/records.jsonl", "checkpoints": f"{s.folder}/checkpoints.json",
                 "first_seq": s.first_seq, "prev_hash": s.prev_hash, "prev_signature": s.prev_signature,
                 "head": None} for s in streams]}


def bundle_chunks(project_id: int | None, streams: list[Stream], query: str) -> Iterator[bytes]:
    """The bundle as a zip, in chunks as it is written."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        archive.writestr("__main__.py", MAIN)
        archive.writestr("README.txt", README)
        for name in SHIPPED:
            archive.writestr(f"inferops_audit/{name}", (INTEGRITY / name).read_bytes())
        archive.writestr("public_key.pem", keys.public_pem())
        archive.writestr("manifest.json", json.dumps(manifest(project_id, streams, query), indent=2))
        for stream in streams:
            archive.writestr(f"{stream.folder}/checkpoints.json", json.dumps(stream.checkpoints, indent=1))
            with archive.open(f"{stream.folder}/records.jsonl", "w", force_zip64=True) as out:
                for record in stream.records:
                    out.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                    if sink.size >= 1 << 16:
                        yield sink.take()
            yield sink.take()
    yield sink.take()


class _Sink:
    """A write-only, unseekable file for zipfile: what it is given is taken away chunk by chunk."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data
