"""Share of postings two normalize runs assign alike (same status and occupation), row by row.

Issue 15's first-run gate: a fast run (bf16, the label languages the file needs) against a full-index
fp32 run of the same file must agree on >= 99% of rows.

    python benchmarks/agreement.py REFERENCE.parquet CANDIDATE.parquet     # `jobmarket normalize --out`
"""

from __future__ import annotations

import argparse

import pandas as pd


def agreement(ref: pd.DataFrame, new: pd.DataFrame) -> dict:
    cols = ["source_row", "status", "occupation_uri"]
    both = ref[cols].merge(new[cols], on="source_row", how="outer", suffixes=("_ref", "_new"), indicator=True)
    same = (both["status_ref"] == both["status_new"]) & (
        both["occupation_uri_ref"].fillna("") == both["occupation_uri_new"].fillna(""))
    return {"rows": len(both), "only_in_one": int((both["_merge"] != "both").sum()),
            "agree": int(same.sum()), "share": float(same.mean()) if len(both) else 1.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("reference")
    ap.add_argument("candidate")
    args = ap.parse_args()
    res = agreement(pd.read_parquet(args.reference), pd.read_parquet(args.candidate))
    print(f"{res['agree']:,} of {res['rows']:,} rows agree ({res['share']:.2%}); "
          f"{res['only_in_one']:,} rows in only one file")


if __name__ == "__main__":
    main()
