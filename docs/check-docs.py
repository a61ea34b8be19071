#!/usr/bin/env python3
"""Check that the reference pages in docs/man/ are in step with the public headers.

Usage: check-docs.py HEADER [HEADER...] MANDIR

Every name a header makes public must appear, as a whole word, in some
MANDIR/*.md page:

  - every function declared with PODFAB_EXPORT,
  - every `static inline` function,
  - every enum tag, typedef name and enumerator (including the enumerators
    that the X-macro lists PODFAB_ERROR_LIST and PODFAB_COUNTER_LIST generate),
  - every #define whose name starts with PODFAB_ or podfab_ (except the include
    guard and helper macros that the header #undefs again).

The pages are also checked the other way and for shape:

  - a function call written in a page, `podfab_xxx(`, must name a function or
    function-like macro of one of the headers (no stale names);
  - every section-3 page has the sections NAME, SYNOPSIS, DESCRIPTION,
    RETURN VALUE and SEE ALSO; every page has NAME and SEE ALSO;
  - every page reference `name(N)` names a page that exists, or a name listed
    in the NAME section of a section-N page (as man page aliases do).

Exit status: 0 when everything is in step, 1 with a list of problems, 2 for a
usage error.  Standard library only.
"""

import os
import re
import sys


def strip_comments(text):
    """Remove /* */ and // comments, keeping line structure."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def join_continuations(text):
    return re.sub(r"\\\n", " ", text)


def split_top(text, sep):
    """Split text at sep where not inside parentheses or braces."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def end_of_decl(text, start):
    """Index of the ';' ending the declaration that starts at start."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ";" and depth == 0:
            return i
    return len(text)


def header_names(path):
    """Return {name: kind} for every public name of the header."""
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    text = join_continuations(strip_comments(raw))
    names = {}

    def add(name, kind):
        names.setdefault(name, kind)

    # Functions marked for export.
    for m in re.finditer(r"\bPODFAB_EXPORT\b([^;{]*?)\b([A-Za-z_]\w*)\s*\(", text):
        add(m.group(2), "exported function")

    # static inline functions.
    for m in re.finditer(r"\bstatic\s+inline\b([^;{(]*?)\b([A-Za-z_]\w*)\s*\(", text):
        add(m.group(2), "static inline function")

    # Include guard: #ifndef X followed by #define X as the first directives.
    guard = None
    directives = re.findall(r"^[ \t]*#[ \t]*(\w+)[ \t]*(\w*)", text, flags=re.M)
    if len(directives) >= 2 and directives[0][0] == "ifndef" and directives[1][0] == "define" \
            and directives[0][1] == directives[1][1]:
        guard = directives[0][1]
    undefined = {n for d, n in directives if d == "undef"}

    # Macros.
    defines = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\(([^)]*)\))?[ \t]*(.*)$", text, flags=re.M):
        name, params, body = m.group(1), m.group(3), m.group(4)
        defines[name] = (params, body)
        if name == guard or name in undefined:
            continue
        if name.lower().startswith("podfab_"):
            add(name, "function-like macro" if params is not None else "macro")

    # Enum tags and their enumerators (expanding X-macro lists).
    for m in re.finditer(r"\benum\s+(\w+)\s*\{(.*?)\}", text, flags=re.S):
        add(m.group(1), "enum tag")
        body = re.sub(r"^[ \t]*#.*$", "", m.group(2), flags=re.M)
        for item in split_top(body, ","):
            ident = re.match(r"\s*([A-Za-z_]\w*)\s*(=|$)", item, flags=re.S)
            if ident:
                add(ident.group(1), "enumerator")
        for lst in re.finditer(r"\b(\w+)\s*\(\s*(\w+)\s*\)", body):
            list_name, x_name = lst.group(1), lst.group(2)
            if list_name not in defines or x_name not in defines:
                continue
            x_params, x_body = defines[x_name]
            if x_params is None:
                continue
            first_param = x_params.split(",")[0].strip()
            # The X macro pastes its first parameter: PREFIX##name
            paste = re.search(r"(\w*)\s*##\s*" + re.escape(first_param) + r"\b", x_body)
            prefix = paste.group(1) if paste else ""
            list_body = defines[list_name][1]
            for entry in re.finditer(r"\bX\s*\(\s*(\w+)", list_body):
                add(prefix + entry.group(1), "enumerator (from %s)" % list_name)

    # typedefs: the name is the last identifier before the ';' that ends the
    # declaration (outside braces); a struct body's members are public too.
    for m in re.finditer(r"\btypedef\b", text):
        decl = text[m.end():end_of_decl(text, m.end())]
        body = re.search(r"\{(.*)\}", decl, flags=re.S)
        outer = re.sub(r"\{.*\}", " ", decl, flags=re.S)
        ids = re.findall(r"[A-Za-z_]\w*", outer)
        if ids:
            add(ids[-1], "typedef")
        tag = re.match(r"\s*(struct|enum|union)\s+(\w+)", outer)
        if tag:
            add(tag.group(2), "%s tag" % tag.group(1))
        if body and tag and tag.group(1) == "struct":
            for member in split_top(body.group(1), ";"):
                mids = re.findall(r"[A-Za-z_]\w*", member)
                if mids:
                    add(mids[-1], "member of %s" % ids[-1])

    return names


def read_pages(mandir):
    pages = {}
    for fn in sorted(os.listdir(mandir)):
        if fn.endswith(".md"):
            with open(os.path.join(mandir, fn), encoding="utf-8") as f:
                pages[fn] = f.read()
    return pages


def sections(text):
    return {s.strip().upper() for s in re.findall(r"^#\s+(.+?)\s*$", text, flags=re.M)}


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: check-docs.py HEADER [HEADER...] MANDIR\n")
        return 2
    headers, mandir = argv[1:-1], argv[-1]
    for header in headers:
        if not os.path.isfile(header):
            sys.stderr.write("check-docs: no header at %s\n" % header)
            return 2
    if not os.path.isdir(mandir):
        sys.stderr.write("check-docs: no man directory at %s\n" % mandir)
        return 2

    names = {}
    for header in headers:
        for n, k in header_names(header).items():
            names.setdefault(n, k)
    pages = read_pages(mandir)
    problems = []
    if not pages:
        problems.append("no *.md pages in %s" % mandir)

    words = set()
    for text in pages.values():
        words.update(re.findall(r"[A-Za-z_]\w*", text))

    missing = sorted(n for n in names if n not in words)
    for n in missing:
        problems.append("undocumented %s: %s" % (names[n], n))

    callable_names = {n for n, k in names.items()
                      if "function" in k}
    for fn, text in pages.items():
        for m in sorted(set(re.findall(r"\b(podfab_\w+)\((?!\d\))", text))):
            if m not in callable_names:
                problems.append("%s: mentions %s(), which the header does not declare" % (fn, m))

    # A reference name(N) may name a page ("podfab_rma(3)") or, as with man
    # page aliases, a name listed in the NAME section of a page of section N.
    existing = {fn[:-3] for fn in pages}   # "podfab_rma.3"
    for fn, text in pages.items():
        sec = re.search(r"\.(\d)\.md$", fn)
        name = re.search(r"^#\s+NAME\s*$(.*?)^#\s", text, flags=re.M | re.S)
        if sec and name:
            for alias in re.findall(r"\bpodfab[\w-]*", name.group(1)):
                existing.add("%s.%s" % (alias, sec.group(1)))
    for fn, text in pages.items():
        have = sections(text)
        need = ["NAME", "SEE ALSO"]
        if re.search(r"\.3\.md$", fn):
            need = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "SEE ALSO"]
        for s in need:
            if s not in have:
                problems.append("%s: no '# %s' section" % (fn, s))
        for ref, sec in set(re.findall(r"\b(podfab[\w-]*)\((\d)\)", text)):
            if "%s.%s" % (ref, sec) not in existing:
                problems.append("%s: refers to %s(%s), which has no page" % (fn, ref, sec))

    if problems:
        print("check-docs: %d problem(s) between %s and %s:" %
              (len(problems), " ".join(headers), mandir))
        for p in problems:
            print("  " + p)
        return 1
    print("check-docs: %d public names of %s documented in %d pages" %
          (len(names), ", ".join(os.path.basename(h) for h in headers), len(pages)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
