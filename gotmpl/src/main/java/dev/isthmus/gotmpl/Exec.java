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
 * and {@code or} evaluate their arguments lazily, a command's piped value is its last argument.
 */
final class Exec {
  private static final int MAX_DEPTH = 1000;

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
  private int depth;

  Exec(
      String name,
      Map<String, List<Node>> defines,
      Map<String, Function> functions,
      StringBuilder out) {
    this.name = name;
    this.defines = defines;
    this.functions = functions;
    this.out = out;
  }

  void run(List<Node> root, Object data) {
    push("$", data);
    list(data, root);
  }

  private TemplateException error(int line, String at, String msg) {
    return new TemplateException(name, line, "executing \"" + name + "\" at <" + at + ">: " + msg);
  }

  private void push(String var, Object value) {
    varNames.add(var);
    varValues.add(value);
  }

  private void pop(int mark) {
    while (varNames.size() > mark) {
      varNames.remove(varNames.size() - 1);
      varValues.remove(varValues.size() - 1);
    }
  }

  private Object variable(String var, int line) {
    for (int i = varNames.size() - 1; i >= 0; i--) {
      if (varNames.get(i).equals(var)) {
        return varValues.get(i);
      }
    }
    throw error(line, var, "undefined variable: " + var);
  }

  private void assign(String var, Object value, int line) {
    for (int i = varNames.size() - 1; i >= 0; i--) {
      if (varNames.get(i).equals(var)) {
        varValues.set(i, value);
        return;
      }
    }
    throw error(line, var, "undefined variable: " + var);
  }

  private void list(Object dot, List<Node> nodes) {
    for (Node n : nodes) {
      node(dot, n);
    }
  }

  private void node(Object dot, Node n) {
    if (n instanceof Node.Text t) {
      out.append(t.text());
    } else if (n instanceof Node.Action a) {
      Object v = pipeline(dot, a.pipe(), true);
      if (a.pipe().vars().isEmpty()) {
        out.append(GoValues.print(v));
      }
    } else if (n instanceof Node.Control c) {
      control(dot, c);
    } else if (n instanceof Node.Call c) {
      call(dot, c);
    } else if (n instanceof Node.Jump j) {
      throw new Jump(j.isBreak());
    }
  }

  private void control(Object dot, Node.Control c) {
    int mark = varNames.size();
    try {
      switch (c.keyword()) {
        case "if" -> {
          Object v = pipeline(dot, c.pipe(), true);
          list(dot, GoValues.truth(v) ? c.body() : c.elseBody());
        }
        case "with" -> {
          Object v = pipeline(dot, c.pipe(), true);
          if (GoValues.truth(v)) {
            list(v, c.body());
          } else {
            list(dot, c.elseBody());
          }
        }
        default -> range(dot, c);
      }
    } finally {
      pop(mark);
    }
  }

  private void range(Object dot, Node.Control c) {
    Object v = pipeline(dot, c.pipe(), false);
    List<Object[]> items = new ArrayList<>();
    if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        items.add(new Object[] {(long) i, l.get(i)});
      }
    } else if (v instanceof Map<?, ?> || v instanceof GoStruct) {
      new TreeMap<>(GoValues.asMap(v)).forEach((k, x) -> items.add(new Object[] {k, x}));
    } else if (v instanceof Long n) {
      for (long i = 0; i < n; i++) {
        items.add(new Object[] {i, i});
      }
    } else if (v != null) {
      throw error(c.line(), "range", "range can't iterate over " + GoValues.print(v));
    }
    if (items.isEmpty()) {
      list(dot, c.elseBody());
      return;
    }
    List<String> vars = c.pipe().vars();
    for (Object[] item : items) {
      int mark = varNames.size();
      if (vars.size() == 1) {
        push(vars.get(0), item[1]);
      } else if (vars.size() == 2) {
        push(vars.get(0), item[0]);
        push(vars.get(1), item[1]);
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
    List<Node> body = defines.get(c.name());
    if (body == null) {
      throw error(c.line(), "template " + c.name(), "no such template \"" + c.name() + "\"");
    }
    if (++depth > MAX_DEPTH) {
      throw error(c.line(), "template " + c.name(), "exceeded maximum template depth");
    }
    Object arg = c.pipe() == null ? null : pipeline(dot, c.pipe(), false);
    List<String> savedNames = varNames;
    List<Object> savedValues = varValues;
    varNames = new ArrayList<>();
    varValues = new ArrayList<>();
    try {
      push("$", arg);
      list(arg, body);
    } finally {
      varNames = savedNames;
      varValues = savedValues;
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
          assign(var, v, p.line());
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
      Object v =
          function(dot, f.name(), c.args().subList(1, c.args().size()), piped, hasPiped, line);
      return fields(v, first.fields(), f.name(), line);
    }
    if (c.args().size() > 1 || hasPiped) {
      throw error(line, describe(first), "can't give argument to non-function " + describe(first));
    }
    return operand(dot, first, line);
  }

  private Object function(
      Object dot, String fn, List<Operand> args, Object piped, boolean hasPiped, int line) {
    if (fn.equals("and") || fn.equals("or")) {
      if (args.isEmpty() && !hasPiped) {
        throw error(line, fn, "wrong number of args for " + fn + ": want at least 1 got 0");
      }
      Object v = null;
      int n = args.size() + (hasPiped ? 1 : 0);
      for (int i = 0; i < n; i++) {
        v = i < args.size() ? operand(dot, args.get(i), line) : piped;
        if (GoValues.truth(v) == fn.equals("or")) {
          return v;
        }
      }
      return v;
    }
    List<Object> values = new ArrayList<>();
    for (Operand a : args) {
      values.add(operand(dot, a, line));
    }
    if (hasPiped) {
      values.add(piped);
    }
    Function f = functions.get(fn);
    try {
      return f.apply(values);
    } catch (TemplateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw error(line, fn, "error calling " + fn + ": " + e.getMessage());
    }
  }

  private Object operand(Object dot, Operand o, int line) {
    Object base;
    if (o.term() instanceof Node.Dot) {
      base = dot;
    } else if (o.term() instanceof Node.Var v) {
      base = variable(v.name(), line);
    } else if (o.term() instanceof Node.Func f) {
      base = function(dot, f.name(), List.of(), null, false, line);
    } else if (o.term() instanceof Node.Literal l) {
      base = l.value();
    } else {
      base = pipeline(dot, ((Node.Sub) o.term()).pipe(), false);
    }
    return fields(base, o.fields(), describe(o), line);
  }

  private Object fields(Object base, List<String> names, String at, int line) {
    Object v = base;
    for (String f : names) {
      v = field(v, f, at, line);
    }
    return v;
  }

  private Object field(Object receiver, String f, String at, int line) {
    if (receiver == null) {
      return null;
    }
    if (receiver instanceof GoStruct s) {
      Object v = s.field(f);
      if (v == null && f.startsWith("Get") && f.length() > 3) {
        v = s.field(f.substring(3));
      }
      return v;
    }
    if (receiver instanceof Map<?, ?> m) {
      return m.get(f);
    }
    if (f.equals("String")) {
      return GoValues.print(receiver);
    }
    if (f.equals("GetValue")) {
      return receiver;
    }
    throw error(line, at, "can't evaluate field " + f + " in type " + GoValues.typeName(receiver));
  }

  private static String describe(Operand o) {
    String base;
    if (o.term() instanceof Node.Var v) {
      base = v.name();
    } else if (o.term() instanceof Node.Func f) {
      base = f.name();
    } else if (o.term() instanceof Node.Literal l) {
      base = l.value() instanceof String s ? "\"" + s + "\"" : String.valueOf(l.value());
    } else if (o.term() instanceof Node.Sub) {
      base = "(...)";
    } else {
      base = o.fields().isEmpty() ? "." : "";
    }
    return base + (o.fields().isEmpty() ? "" : "." + String.join(".", o.fields()));
  }
}
