"""A program as a standalone script that runs it in both libraries and prints both results."""
HEADER = '''import chainrule
import torch

inf, nan = float("inf"), float("nan")


def run(lib):
'''
FOOTER = '''

for lib in (torch, chainrule):
    try:
        print(lib.__name__, run(lib))
    except Exception as error:
        print(lib.__name__, type(error).__name__, error)
'''


def body_lines(program, difference):
    """The program's lines up to the difference, with what it compares as the return value."""
    lines = [line.code for line in program.lines[:_last_line(program, difference) + 1]]
    what = difference.what
    if what.endswith(" (input)"):
        name = what.split(" ")[0]
        position = next(i for i, line in enumerate(program.lines) if name in line.defines)
        lines.insert(position + 1, f"{name}_input = {name}")
        lines.append(f"return {name}_input")
    elif difference.kind == "rebinds":
        target = what.split(" ")[0]
        lines.insert(difference.line, f"before = {target}")
        lines.append(f"return {target} is before")
    elif difference.kind == "aliasing":
        name, used = what.split(" shares memory with ")
        lines.append(f"return {name}, {used}  # shares memory with {used}: torch {difference.theirs}, "
                     f"chainrule {difference.ours}")
    elif not difference.kind.startswith("error"):
        lines.append(f"return {what}")
    return lines


def _last_line(program, difference):
    """A difference seen right after its line needs the lines up to it; one seen at the end, all."""
    return difference.line if difference.when == "line" else len(program.lines) - 1


def reproducer(program, difference):
    body = "\n".join("    " + line for line in body_lines(program, difference))
    return HEADER + body + FOOTER


def short_program(program):
    """The program's lines alone, for listings."""
    return "\n".join(line.code for line in program.lines)
