#!/usr/bin/env python3
"""Writes data/evidence-inference/unlabelled-articles.jsonl.gz: a deterministic subset of the shared unlabelled
articles for pretraining, small enough that `make train` stays short (the BPE trainer and the pretraining job
tokenize the whole corpus). Rule: articles with non-empty text, ordered by SHA-256 of "deepimagine-pretrain:" + pmcid,
the first COUNT of them, written in that order; gzip without a timestamp, so the same input gives the same bytes.

usage: tools/data/evidence_inference_articles_subset.py [SOURCE] [OUT] [COUNT]
"""
import gzip
import hashlib
import json
import sys

source = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/evidence-inference/unlabelled-articles.jsonl.gz"
out = sys.argv[2] if len(sys.argv) > 2 else "data/evidence-inference/unlabelled-articles.jsonl.gz"
count = int(sys.argv[3]) if len(sys.argv) > 3 else 300

articles = []
with gzip.open(source, "rt", encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        if not line.strip():
            continue
        record = json.loads(line)
        for field in ("pmcid", "text"):
            if not isinstance(record.get(field), str):
                sys.exit(f"{source} line {number}: field '{field}' is missing or not text")
        if record["text"].strip():
            articles.append({"pmcid": record["pmcid"], "text": record["text"]})

articles.sort(key=lambda a: hashlib.sha256(("deepimagine-pretrain:" + a["pmcid"]).encode("utf-8")).hexdigest())
chosen = articles[:count]
with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
    for a in chosen:
        gz.write((json.dumps(a, ensure_ascii=False) + "\n").encode("utf-8"))
print(f"articles={len(chosen)} characters={sum(len(a['text']) for a in chosen)} of {len(articles)} non-empty")
