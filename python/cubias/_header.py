"""Read include/cubias.h: its enums, structs and function prototypes.

Used twice: by setup.py, which turns the enums and struct fields into a C
probe compiled against the same header (the probe's output becomes
cubias/_abi.json, the enum values the package uses), and by the tests, which
check every ctypes declaration of the package against the header.
No C preprocessor is needed: the header is plain C99 with one declaration
style (checked by the tests that use this parser).
"""
import re

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def strip_comments(text):
    return _COMMENT.sub(" ", text)


def _flat(s):
    return " ".join(s.split())


def enums(text):
    """{enum typedef name: [(enumerator, value expression or None), ...]} in order."""
    out = {}
    body = strip_comments(text)
    for m in re.finditer(r"typedef\s+enum\s+\w*\s*\{(.*?)\}\s*(\w+)\s*;", body, re.S):
        items = []
        for part in m.group(1).split(","):
            part = part.strip()
            if not part:
                continue
            name, _, val = part.partition("=")
            items.append((name.strip(), val.strip() or None))
        out[m.group(2)] = items
    return out


def macros(text):
    """Object-like #defines of a number: {name: text}."""
    out = {}
    for m in re.finditer(r"^#define\s+(CUBIAS_\w+)\s+(\(?-?[0-9][0-9.eE+-]*\)?)\s*$",
                         strip_comments(text), re.M):
        out[m.group(1)] = m.group(2).strip("()")
    return out


def structs(text):
    """{struct typedef name: [(field, C type, array length or None), ...]} in order."""
    out = {}
    body = strip_comments(text)
    for m in re.finditer(r"typedef\s+struct\s+\w*\s*\{(.*?)\}\s*(\w+)\s*;", body, re.S):
        fields = []
        for decl in m.group(1).split(";"):
            decl = _flat(decl)
            if not decl:
                continue
            first, *rest = [d.strip() for d in decl.split(",")]
            fm = re.match(r"^(.*?)([\s*]+)(\w+)\s*(\[(\d+)\])?$", first)
            if not fm:
                raise ValueError("cannot read field declaration: " + decl)
            base = fm.group(1).strip()
            stars = fm.group(2).count("*")
            names = [(fm.group(3), stars, fm.group(5))]
            for r in rest:
                rm = re.match(r"^(\**)\s*(\w+)\s*(\[(\d+)\])?$", r)
                names.append((rm.group(2), len(rm.group(1)), rm.group(4)))
            for name, nstar, arr in names:
                ctype = base + " " + "*" * nstar if nstar else base
                fields.append((name, _flat(ctype.replace("*", " *")).replace("* *", "**"),
                               int(arr) if arr else None))
        out[m.group(2)] = fields
    return out


def functions(text):
    """{function name: (return C type, [parameter C type, ...])} for every CUBIAS_API."""
    out = {}
    body = strip_comments(text)
    for m in re.finditer(r"CUBIAS_API\s+([^;{]*?)\b(cubias_\w+)\s*\(([^)]*)\)\s*;", body, re.S):
        ret = _flat(m.group(1))
        params = []
        plist = _flat(m.group(3))
        if plist and plist != "void":
            for p in plist.split(","):
                p = _flat(p)
                pm = re.match(r"^(.*?)([\s*]+)(\w+)$", p)
                base, stars = pm.group(1).strip(), pm.group(2).count("*")
                params.append(_flat(base + " " + "*" * stars) if stars else base)
        out[m.group(2)] = (_flat(ret.replace("*", " *")), params)
    return out


def probe_source(text, header_include="cubias.h"):
    """A C program that prints, as JSON, every enumerator's value, every numeric
    macro, and every struct's size, alignment and field offsets and sizes, as
    the C compiler sees them through the header."""
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "%s"' % header_include,
             "int main(void) {", '  printf("{\\"enums\\": {");']
    sep = ""
    for items in enums(text).values():
        for name, _ in items:
            lines.append('  printf("%s\\"%s\\": %%d", (int)%s);' % (sep, name, name))
            sep = ", "
    lines.append('  printf("}, \\"macros\\": {");')
    sep = ""
    for name in macros(text):
        if name.endswith("_H"):
            continue
        lines.append('  printf("%s\\"%s\\": %%.17g", (double)(%s));' % (sep, name, name))
        sep = ", "
    lines.append('  printf("}, \\"structs\\": {");')
    sep = ""
    for sname, fields in structs(text).items():
        lines.append('  printf("%s\\"%s\\": {\\"size\\": %%zu, \\"align\\": %%zu, \\"fields\\": {", '
                     "sizeof(%s), _Alignof(%s));" % (sep, sname, sname, sname))
        fsep = ""
        for f, _, _ in fields:
            lines.append('  printf("%s\\"%s\\": [%%zu, %%zu]", offsetof(%s, %s), '
                         "sizeof(((%s *)0)->%s));" % (fsep, f, sname, f, sname, f))
            fsep = ", "
        lines.append('  printf("}}");')
        sep = ", "
    lines.append('  printf("}}\\n");')
    lines.append("  return 0;\n}\n")
    return "\n".join(lines)
