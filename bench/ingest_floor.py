"""bench/ingest_floor.py — writes the floor scripts of bench/ingest: the same CSV files loaded by
the databases' own bulk loaders, the floor of parsing and inserting those bytes.

    python3 ingest_floor.py DATA_DIR OUT_DIR

OUT_DIR/floor.sqlite   for `sqlite3 DB < floor.sqlite`: each CSV `.import --csv --skip 1` into a
                       table of TEXT columns, one table per header shape
OUT_DIR/floor.psql     for `psql URL -f floor.psql`: each CSV `\\copy … (FORMAT csv, HEADER)` into
                       a table of text columns, one per header shape (read as LATIN1, which
                       takes any byte, as the loaders do); a file whose rows do not all
                       have the header's width (\\copy refuses those) is loaded one line a row
The tables are made by the scripts (their cost is in the timing, and is negligible). Prints the
number of files, data rows and bytes."""
import csv
import hashlib
import os
import sys


def files(root):
    for d, _, names in sorted(os.walk(root, followlinks=True)):
        for n in sorted(names):
            if n.endswith(".csv"):
                yield os.path.join(d, n)


def main():
    root, out = sys.argv[1], sys.argv[2]
    tables = {}
    sq = [".bail off"]
    pg = ["\\set ON_ERROR_STOP 1", "SET synchronous_commit = on;"]
    rows = nbytes = nfiles = 0
    for f in files(root):
        with open(f, newline="", encoding="latin-1") as fh:
            r = csv.reader(fh)
            head = next(r, None)
            if head is None:
                continue
            widths = {len(x) for x in r}
            fh.seek(0)
            rows += sum(1 for _ in fh) - 1
        nfiles += 1
        nbytes += os.path.getsize(f)
        n = len(head)
        t = "t_" + hashlib.sha1((",".join(head)).encode()).hexdigest()[:10]
        cols = ", ".join(f"c{i} TEXT" for i in range(n))
        if t not in tables:
            tables[t] = n
            sq.append(f"CREATE TABLE {t} ({cols});")
            pg.append(f"CREATE TABLE {t} ({cols});")
        path = os.path.abspath(f)
        sq.append(f".import --csv --skip 1 '{path}' {t}")
        if widths <= {n}:
            pg.append(f"\\copy {t} FROM '{path}' WITH (FORMAT csv, HEADER true, ENCODING 'LATIN1')")
        else:
            if "lines" not in tables:
                tables["lines"] = 1
                pg.append("CREATE TABLE lines (line text);")
            pg.append(f"\\copy lines FROM '{path}' WITH (FORMAT csv, HEADER true, "
                      "DELIMITER E'\\x01', QUOTE E'\\x02', ENCODING 'LATIN1')")
    with open(os.path.join(out, "floor.sqlite"), "w") as fh:
        fh.write("\n".join(sq) + "\n")
    with open(os.path.join(out, "floor.psql"), "w") as fh:
        fh.write("\n".join(pg) + "\n")
    print(nfiles, rows, nbytes)


if __name__ == "__main__":
    main()
