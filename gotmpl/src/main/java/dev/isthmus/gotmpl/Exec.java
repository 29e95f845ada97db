package dev.isthmus.gotmpl;

import dev.isthmus.gotmpl.Node.Command;
import dev.isthmus.gotmpl.Node.Operand;
import dev.isthmus.gotmpl.Node.Pipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code Exec} walks a parsed template against data, as Go's {@code exec.go}: variables are scoped
 * to the enclosing control structure, {@code range} visits map keys in sorted order, {@code and}
 * and {@code or} evaluate their arguments lazily, a command's piped value is its last argument, an
 * action that yields nil prints {@code <no value>}. In a chain of keys, a key of a missing key is
 * nil but a key of a key present with a null value is an error, as for Go's {@code
 * map[string]interface {}}.
 */
final class Exec {
  /**
   * How deep template calls, controls and parenthesised pipelines may nest at run time. Go stops
   * template recursion at 100000 on its growable stack; a thread's fixed Java stack needs less.
   */
  static final int MAX_DEPTH = 1000;

  /** The most characters one execution may write: an injection template renders one pod. */
  static final int MAX_OUTPUT = 16 << 20;

  /** The most range iterations one execution may run, so that a template cannot spin for hours. */
  static final long MAX_ITERATIONS = 10_000_000;

  private static final class Jump extends RuntimeException {
    final boolean isBreak;

    Jump(boolean isBreak) {
      super(null, null, false, false);
      this.isBreak = isBreak;
    }
  }

  private final String name;
  private final Map<String, List<Node>> defines;
  private final Map<String, Function> functions;
  private final StringBuilder out;
  private List<String> varNames = new ArrayList<>();
  private List<Object> varValues = new ArrayList<>();
  private String current;
  private int depth;
  private int line;
  private long iterations;

  Exec(
      String name,
      Map<String, List<Node>> defines,
      Map<String, Function> functions,
      StringBuilder out) {
    this.name = name;
    this.current = name;
    this.defines = defines;
    this.functions = functions;
    this.out = out;
  }

  void run(List<Node> root, Object data) {
    push("$", data);
    try {
      list(data, root);
    } catch (StackOverflowError e) {
      // The depth limit counts template calls and control blocks; a thread with a small stack
      // (or interpreted frames before the JIT compiled them) can run out first. The result is the
      // same error, never a thread killed by an Error.
      throw error(
          line,
          current,
          "exceeded maximum template depth (" + MAX_DEPTH + "): the thread's stack ran out first");
    }
  }

  private TemplateException error(int line, String at, String msg) {
    return new TemplateException(
        name, line, "executing \"" + current + "\" at <" + at + ">: " + msg);
  }

  private void push(String var, Object value) {
    varNames.add(var);
    varValues.add(value);
  }

  private void pop(int mark) {
    varNames.subList(mark, varNames.size()).clear();
    varValues.subList(mark, varValues.size()).clear();
  }

  private int find(String var, int line) {
    int i = varNames.lastIndexOf(var);
    if (i < 0) {
      throw error(line, var, "undefined variable: " + var);
    }
    return i;
  }

  private void list(Object dot, List<Node> nodes) {
    for (Node n : nodes) {
      node(dot, n);
    }
  }

  private void node(Object dot, Node n) {
    if (n instanceof Node.Text t) {
      write(t.text());
    } else if (n instanceof Node.Action a) {
      line = a.line();
      Object v = pipeline(dot, a.pipe(), true);
      if (a.pipe().vars().isEmpty()) {
        write(v == null ? "<no value>" : GoValues.print(v));
      }
    } else if (n instanceof Node.Control c) {
      line = c.line();
      enter(c.line(), c.keyword());
      try {
        control(dot, c);
      } finally {
        depth--;
      }
    } else if (n instanceof Node.Call c) {
      line = c.line();
      call(dot, c);
    } else if (n instanceof Node.Jump j) {
      throw new Jump(j.isBreak());
    }
  }

  private void write(String s) {
    if (out.length() + (long) s.length() > MAX_OUTPUT) {
      throw error(line, current, "output exceeds the limit of " + MAX_OUTPUT + " characters");
    }
    out.append(s);
  }

  private void enter(int at, String what) {
    if (depth >= MAX_DEPTH) {
      throw error(at, what, "exceeded maximum template depth (" + MAX_DEPTH + ")");
    }
    depth++;
  }

  private void control(Object dot, Node.Control c) {
    int mark = varNames.size();
    try {
      if (c.keyword().equals("range")) {
        range(dot, c);
        return;
      }
      Object v = pipeline(dot, c.pipe(), true);
      if (!GoValues.truth(v)) {
        list(dot, c.elseBody());
      } else {
        list(c.keyword().equals("with") ? v : dot, c.body());
      }
    } finally {
      pop(mark);
    }
  }

  private void range(Object dot, Node.Control c) {
    Object v = pipeline(dot, c.pipe(), false);
    List<String> vars = c.pipe().vars();
    List<Object[]> items = new ArrayList<>();
    if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        items.add(new Object[] {(long) i, l.get(i)});
      }
    } else if (GoValues.asMap(v) != null) {
      new TreeMap<>(GoValues.asMap(v)).forEach((k, x) -> items.add(new Object[] {k, x}));
    } else if (v instanceof Long n) {
      if (vars.size() > 1) {
        throw error(
            c.line(),
            describe(c.pipe()),
            "can't use " + n + " to iterate over more than one variable");
      }
      if (n <= 0) {
        list(dot, c.elseBody());
        return;
      }
      iterate(c, vars, n, null);
      return;
    } else if (v != null && v != GoValues.ZERO) {
      throw error(c.line(), describe(c.pipe()), "range can't iterate over " + Fmt.value(v));
    }
    if (items.isEmpty()) {
      list(dot, c.elseBody());
      return;
    }
    iterate(c, vars, items.size(), items);
  }

  /** Runs the body for {@code items}, or for the integers below {@code count} when null. */
  private void iterate(Node.Control c, List<String> vars, long count, List<Object[]> items) {
    for (long n = 0; n < count; n++) {
      if (++iterations > MAX_ITERATIONS) {
        throw error(
            c.line(),
            describe(c.pipe()),
            "range exceeds the limit of " + MAX_ITERATIONS + " iterations");
      }
      Object[] item = items == null ? new Object[] {n, n} : items.get((int) n);
      int mark = varNames.size();
      for (int i = 0; i < vars.size(); i++) {
        Object value = vars.size() == 1 || i == 1 ? item[1] : item[0];
        if (c.pipe().assign()) {
          varValues.set(find(vars.get(i), c.line()), value);
        } else {
          push(vars.get(i), value);
        }
      }
      try {
        list(item[1], c.body());
      } catch (Jump j) {
        if (j.isBreak) {
          break;
        }
      } finally {
        pop(mark);
      }
    }
  }

  private void call(Object dot, Node.Call c) {
    String at =
        "{{template "
            + Fmt.quote(c.name(), '"')
            + (c.pipe() == null ? "" : " " + describe(c.pipe()))
            + "}}";
    List<Node> body = defines.get(c.name());
    if (body == null) {
      throw error(c.line(), at, "template " + Fmt.quote(c.name(), '"') + " not defined");
    }
    Object arg = c.pipe() == null ? null : pipeline(dot, c.pipe(), false);
    enter(c.line(), at);
    List<String> savedNames = varNames;
    List<Object> savedValues = varValues;
    String savedCurrent = current;
    varNames = new ArrayList<>();
    varValues = new ArrayList<>();
    current = c.name();
    try {
      push("$", arg);
      list(arg, body);
    } finally {
      varNames = savedNames;
      varValues = savedValues;
      current = savedCurrent;
      depth--;
    }
  }

  private Object pipeline(Object dot, Pipeline p, boolean declare) {
    Object v = null;
    boolean piped = false;
    for (Command c : p.commands()) {
      v = command(dot, c, v, piped, p.line());
      piped = true;
    }
    if (declare) {
      for (String var : p.vars()) {
        if (p.assign()) {
          varValues.set(find(var, p.line()), v);
        } else {
          push(var, v);
        }
      }
    }
    return v;
  }

  private Object command(Object dot, Command c, Object piped, boolean hasPiped, int line) {
    Operand first = c.args().get(0);
    if (first.term() instanceof Node.Func f) {
      Object v = function(dot, c, piped, hasPiped, line);
      return fields(v, first.fields(), describe(first), line);
    }
    if (first.term() instanceof Node.Literal l && l.value() == null && first.fields().isEmpty()) {
      throw error(line, "nil", "nil is not a command");
    }
    if (c.args().size() > 1 || hasPiped) {
      boolean field =
          !first.fields().isEmpty()
              && (first.term() instanceof Node.Dot || first.term() instanceof Node.Var);
      throw error(
          line,
          describe(first),
          field
              ? first.fields().get(first.fields().size() - 1) + " is not a method but has arguments"
              : "can't give argument to non-function " + describe(first));
    }
    return operand(dot, first, line);
  }

  private Object function(Object dot, Command c, Object piped, boolean hasPiped, int line) {
    String fn = ((Node.Func) c.args().get(0).term()).name();
    List<Operand> args = c.args().subList(1, c.args().size());
    int n = args.size() + (hasPiped ? 1 : 0);
    Function f = functions.get(fn);
    if (f == Builtins.FUNCTIONS.get(fn) && (fn.equals("and") || fn.equals("or"))) {
      Object v = null;
      for (int i = 0; i < Math.max(n, 1); i++) {
        v = i < args.size() ? operand(dot, args.get(i), line) : hasPiped ? piped : null;
        if (n == 0 || GoValues.truth(v) == fn.equals("or")) {
          break;
        }
      }
      return apply(f, fn, n == 0 ? List.of() : java.util.Collections.singletonList(v), c, line);
    }
    List<Object> values = new ArrayList<>();
    for (Operand a : args) {
      Object v = operand(dot, a, line);
      values.add(v == GoValues.ZERO && !(f instanceof Builtins.ZeroAware) ? null : v);
    }
    if (hasPiped) {
      values.add(piped == GoValues.ZERO && !(f instanceof Builtins.ZeroAware) ? null : piped);
    }
    if (f == Builtins.FUNCTIONS.get(fn) && fn.equals("call")) {
      apply(f, fn, values, c, line);
      return callValue(values, args.isEmpty() ? "" : describe(args.get(0)), c, line);
    }
    return apply(f, fn, values, c, line);
  }

  private Object apply(Function f, String fn, List<Object> values, Command c, int line) {
    try {
      Object v = f.apply(values);
      if (v instanceof String s && s.length() > MAX_OUTPUT) {
        throw new IllegalArgumentException(
            "result exceeds the limit of " + MAX_OUTPUT + " characters");
      }
      return v;
    } catch (TemplateException e) {
      throw e;
    } catch (Builtins.BadCall e) {
      int arg = e.arg + 1;
      String at = arg > 0 && arg < c.args().size() ? describe(c.args().get(arg)) : fn;
      throw error(line, at, e.getMessage());
    } catch (RuntimeException e) {
      throw error(line, describe(c), "error calling " + fn + ": " + e.getMessage());
    }
  }

  /** {@code call fn args...}: fn must be a function value. */
  private Object callValue(List<Object> values, String operand, Command c, int line) {
    Object fn = values.get(0);
    Function f =
        a -> {
          if (fn == null) {
            throw new IllegalArgumentException("call of nil");
          }
          if (!(fn instanceof Function g)) {
            throw new IllegalArgumentException(
                "non-function " + operand + " of type " + GoValues.typeName(fn));
          }
          return g.apply(a);
        };
    return apply(f, "call", values.subList(1, values.size()), c, line);
  }

  private Object operand(Object dot, Operand o, int line) {
    Object base;
    if (o.term() instanceof Node.Dot) {
      base = dot;
    } else if (o.term() instanceof Node.Var v) {
      base = varValues.get(find(v.name(), line));
    } else if (o.term() instanceof Node.Func f) {
      base = function(dot, new Command(List.of(new Operand(f, List.of()))), null, false, line);
    } else if (o.term() instanceof Node.Literal l) {
      base = l.value();
    } else {
      enter(line, describe(o));
      try {
        base = pipeline(dot, ((Node.Sub) o.term()).pipe(), false);
      } finally {
        depth--;
      }
    }
    return fields(base, o.fields(), describe(o), line);
  }

  /** A chain of field or key names on {@code base}. */
  private Object fields(Object base, List<String> names, String at, int line) {
    Object v = base;
    boolean fromMap = false;
    boolean nilEntry = false;
    boolean fromStruct = false;
    for (String f : names) {
      if (v == GoValues.ZERO) {
        continue;
      }
      if (v == null) {
        if (nilEntry) {
          throw error(line, at, "nil pointer evaluating interface {}." + f);
        }
        continue;
      }
      if (v instanceof GoStruct s) {
        Object x = s.field(f);
        if (x == null && f.startsWith("Get") && f.length() > 3) {
          x = s.field(f.substring(3));
        }
        v = x == null ? GoValues.ZERO : x;
        fromStruct = true;
        fromMap = false;
      } else if (v instanceof Map<?, ?> m) {
        nilEntry = m.containsKey(f) && m.get(f) == null;
        v = m.get(f);
        fromMap = true;
        fromStruct = false;
      } else if (fromStruct && f.equals("String")) {
        v = GoValues.print(v);
      } else if (!(fromStruct && f.equals("GetValue"))) {
        String type = fromMap ? "interface {}" : GoValues.typeName(v);
        throw error(line, at, "can't evaluate field " + f + " in type " + type);
      }
    }
    return v;
  }

  private static String describe(Pipeline p) {
    StringBuilder b = new StringBuilder();
    if (!p.vars().isEmpty()) {
      b.append(String.join(", ", p.vars())).append(p.assign() ? " = " : " := ");
    }
    for (int i = 0; i < p.commands().size(); i++) {
      b.append(i > 0 ? " | " : "").append(describe(p.commands().get(i)));
    }
    return b.toString();
  }

  private static String describe(Command c) {
    return String.join(" ", c.args().stream().map(Exec::describe).toList());
  }

  private static String describe(Operand o) {
    String base;
    if (o.term() instanceof Node.Var v) {
      base = v.name();
    } else if (o.term() instanceof Node.Func f) {
      base = f.name();
    } else if (o.term() instanceof Node.Literal l) {
      base = l.text();
    } else if (o.term() instanceof Node.Sub s) {
      base = "(" + describe(s.pipe()) + ")";
    } else {
      base = o.fields().isEmpty() ? "." : "";
    }
    return base + (o.fields().isEmpty() ? "" : "." + String.join(".", o.fields()));
  }
}
