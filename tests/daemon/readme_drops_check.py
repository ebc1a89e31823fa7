#!/usr/bin/python3
"""The README's drop-reason table is exactly `nvgred drops --markdown` (the one list in code).

    readme_drops_check.py NVGRED README.md [--update]
"""
import subprocess
import sys

BEGIN, END = "<!-- drops:begin -->\n", "<!-- drops:end -->"


def main():
    nvgred, readme = sys.argv[1], sys.argv[2]
    table = subprocess.run([nvgred, "drops", "--markdown"], capture_output=True, text=True,
                           check=True).stdout
    text = open(readme).read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    if "--update" in sys.argv:
        open(readme, "w").write(text[:start] + table + text[end:])
        return 0
    if text[start:end] != table:
        print("README.md's drop table differs from `nvgred drops --markdown`; regenerate it with\n"
              f"  {sys.argv[0]} {nvgred} {readme} --update")
        return 1
    print(f"README.md lists all {table.count(chr(10)) - 2} drop reasons")
    return 0


if __name__ == "__main__":
    sys.exit(main())
