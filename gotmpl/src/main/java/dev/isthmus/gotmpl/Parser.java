package dev.isthmus.gotmpl;

import dev.isthmus.gotmpl.Node.Command;
import dev.isthmus.gotmpl.Node.Operand;
import dev.isthmus.gotmpl.Node.Pipeline;
import dev.isthmus.gotmpl.Token.Kind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Parser} builds the {@link Node} tree from the {@link Lexer}'s tokens with Go's parse-time
 * checks: unknown functions and undeclared variables are errors, {@code else if} continues only an
 * {@code if} and {@code else with} only a {@code with} (each a nested control sharing the outer
 * {@code end}), {@code define} appears only at top level and a non-empty definition only once.
 * {@code define} and {@code block} bodies go to {@code defines}.
 */
final class Parser {
  /**
   * How deep controls and parentheses may nest. Go's parser stops parentheses at 10000 on its
   * growable stack; a thread's fixed Java stack needs a lower bound, still far above any real
   * template.
   */
  static final int MAX_NESTING = 1000;

  static final Set<String> KEYWORDS =
      Set.of(
          "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with");

  private final String name;
  private final List<Token> tokens;
  private final Set<String> functions;
  private final Map<String, List<Node>> defines;
  private List<String> vars = new ArrayList<>(List.of("$"));
  private int pos;
  private int nesting;
  private int rangeDepth;
  private int actionLine;

  private Parser(
      String name, List<Token> tokens, Set<String> functions, Map<String, List<Node>> defines) {
    this.name = name;
    this.tokens = tokens;
    this.functions = functions;
    this.defines = defines;
  }

  /** Parses {@code text}; named sub-templates are added to {@code defines}. */
  static List<Node> parse(
      String name, String text, Set<String> functions, Map<String, List<Node>> defines) {
    Parser p = new Parser(name, Lexer.lex(name, text), functions, defines);
    List<Node> root = new ArrayList<>();
    String end = p.list(root, true);
    if (end != null) {
      throw p.error("unexpected {{" + end + "}}");
    }
    p.define(name, root);
    return root;
  }

  /** Counts one more level of nesting; {@link #leave} undoes it. */
  private void enter() {
    if (++nesting > MAX_NESTING) {
      throw error("max nesting depth exceeded (" + MAX_NESTING + ")");
    }
  }

  private void leave() {
    nesting--;
  }

  private TemplateException error(String msg) {
    return new TemplateException(name, tokens.get(Math.max(0, pos - 1)).line(), msg);
  }

  /** {@code unexpected EOF}, on the line where the input ends. */
  private TemplateException eof() {
    return new TemplateException(name, tokens.get(tokens.size() - 1).line(), "unexpected EOF");
  }

  private Token peek() {
    Token t = tokens.get(pos);
    if (t.kind() == Kind.ERROR) {
      pos++;
      String extra =
          actionLine != 0 && actionLine != t.line() && !t.text().contains("action started")
              ? " in action started at " + name + ":" + actionLine
              : "";
      throw error(t.text() + extra);
    }
    return t;
  }

  private Token next() {
    Token t = peek();
    pos++;
    return t;
  }

  private Token expect(Kind kind, String context) {
    Token t = next();
    if (t.kind() != kind) {
      throw error("unexpected " + t.describe() + " in " + context);
    }
    return t;
  }

  private void define(String n, List<Node> body) {
    List<Node> old = defines.get(n);
    if (old != null && !empty(old) && !empty(body)) {
      throw error("template: multiple definition of template " + Fmt.quote(n, '"'));
    }
    if (old == null || empty(old)) {
      defines.put(n, body);
    }
  }

  private static boolean empty(List<Node> body) {
    return body.stream().allMatch(n -> n instanceof Node.Text t && t.text().isBlank());
  }

  /**
   * Parses nodes into {@code out} until {@code {{end}}}/{@code {{else}}} (returned) or EOF (null).
   */
  private String list(List<Node> out, boolean top) {
    while (true) {
      Token t = next();
      switch (t.kind()) {
        case EOF -> {
          pos--;
          return null;
        }
        case TEXT -> out.add(new Node.Text(t.text()));
        case LEFT -> {
          actionLine = t.line();
          String end = action(out, top);
          actionLine = 0;
          if (end != null) {
            return end;
          }
        }
        default -> throw error("unexpected " + t.describe() + " in input");
      }
    }
  }

  /** One action after its left delimiter; returns "end" or "else" for those. */
  private String action(List<Node> out, boolean top) {
    Token k = peek();
    String kw = k.kind() == Kind.IDENT && KEYWORDS.contains(k.text()) ? k.text() : "";
    switch (kw) {
      case "end", "else" -> {
        pos++;
        return kw;
      }
      case "if", "with", "range" -> {
        pos++;
        out.add(control(kw, k.line()));
      }
      case "define" -> {
        pos++;
        if (!top) {
          throw error("unexpected <define> in command");
        }
        String n = expect(Kind.STRING, "define clause").text();
        expect(Kind.RIGHT, "define clause");
        define(n, body("define clause"));
      }
      case "template", "block" -> {
        pos++;
        String context = kw + " clause";
        String n = expect(Kind.STRING, context).text();
        Pipeline p = peek().kind() == Kind.RIGHT ? null : pipeline(context, false, Kind.RIGHT);
        expect(Kind.RIGHT, context);
        if (kw.equals("block")) {
          define(n, body(context));
        }
        out.add(new Node.Call(k.line(), n, p));
      }
      case "break", "continue" -> {
        pos++;
        if (rangeDepth == 0) {
          throw error("{{" + kw + "}} outside {{range}}");
        }
        expect(Kind.RIGHT, "{{" + kw + "}}");
        out.add(new Node.Jump(k.line(), kw.equals("break")));
      }
      default -> {
        Pipeline p = pipeline("command", true, Kind.RIGHT);
        expect(Kind.RIGHT, "command");
        out.add(new Node.Action(k.line(), p));
      }
    }
    return null;
  }

  /** A define or block body up to its {@code {{end}}}, with variables of its own. */
  private List<Node> body(String context) {
    List<String> saved = vars;
    vars = new ArrayList<>(List.of("$"));
    List<Node> body = new ArrayList<>();
    enter();
    String end = list(body, false);
    leave();
    vars = saved;
    if (end == null) {
      throw eof();
    }
    if (!end.equals("end")) {
      throw error("unexpected {{" + end + "}} in " + context);
    }
    expect(Kind.RIGHT, "end");
    return body;
  }

  /** After the keyword of if/with/range: pipeline, body, optional else, end. */
  private Node control(String keyword, int line) {
    enter();
    try {
      return controlBody(keyword, line);
    } finally {
      leave();
    }
  }

  private Node controlBody(String keyword, int line) {
    int mark = vars.size();
    Pipeline p = pipeline(keyword, true, Kind.RIGHT);
    expect(Kind.RIGHT, keyword);
    List<Node> body = new ArrayList<>();
    rangeDepth += keyword.equals("range") ? 1 : 0;
    String end = list(body, false);
    rangeDepth -= keyword.equals("range") ? 1 : 0;
    List<Node> elseBody = List.of();
    if ("else".equals(end)) {
      Token t = peek();
      if (t.kind() == Kind.IDENT && t.text().equals(keyword) && !keyword.equals("range")) {
        pos++;
        // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with the inner end shared.
        Node inner = control(keyword, t.line());
        vars.subList(mark, vars.size()).clear();
        return new Node.Control(line, keyword, p, body, List.of(inner));
      }
      if (t.kind() != Kind.RIGHT) {
        throw error("unexpected " + t.describe() + " in input");
      }
      pos++;
      elseBody = new ArrayList<>();
      end = list(elseBody, false);
      if ("else".equals(end)) {
        throw error("expected end; found {{else}}");
      }
    }
    if (!"end".equals(end)) {
      throw eof();
    }
    expect(Kind.RIGHT, "end");
    vars.subList(mark, vars.size()).clear();
    return new Node.Control(line, keyword, p, body, elseBody);
  }

  private Pipeline pipeline(String context, boolean allowDecl, Kind terminator) {
    int line = peek().line();
    List<String> names = new ArrayList<>();
    boolean assign = false;
    if (allowDecl && peek().kind() == Kind.VARIABLE) {
      int save = pos;
      names.add(next().text());
      if (peek().kind() == Kind.COMMA) {
        pos++;
        names.add(expect(Kind.VARIABLE, "range declaration").text());
      }
      Kind k = peek().kind();
      if (k == Kind.DECLARE || k == Kind.ASSIGN) {
        pos++;
        assign = k == Kind.ASSIGN;
        if (names.size() > 1 && !context.equals("range")) {
          throw error("too many declarations in " + context);
        }
      } else {
        pos = save;
        names.clear();
      }
    }
    List<Command> commands = new ArrayList<>();
    while (true) {
      if (peek().kind() == Kind.PIPE) {
        throw error("unexpected \"|\" in command");
      }
      if (peek().kind() == terminator) {
        if (commands.isEmpty()) {
          throw error("missing value for " + context);
        }
        break;
      }
      Command c = command(terminator);
      if (!commands.isEmpty() && c.args().get(0).term() instanceof Node.Literal
          || !commands.isEmpty()
              && c.args().get(0).term() instanceof Node.Dot
              && c.args().get(0).fields().isEmpty()) {
        throw error("non executable command in pipeline stage " + (commands.size() + 1));
      }
      commands.add(c);
      if (peek().kind() != Kind.PIPE) {
        break;
      }
      pos++;
    }
    if (peek().kind() != terminator) {
      throw error("unexpected " + peek().describe() + " in operand");
    }
    if (!assign) {
      vars.addAll(names);
    }
    return new Pipeline(line, List.copyOf(names), assign, List.copyOf(commands));
  }

  private Command command(Kind terminator) {
    List<Operand> args = new ArrayList<>();
    while (peek().kind() != Kind.PIPE && peek().kind() != terminator) {
      if (!args.isEmpty() && !peek().spaceBefore() && peek().kind() != Kind.LPAREN) {
        throw error("unexpected " + peek().describe() + " in operand");
      }
      args.add(operand());
    }
    return new Command(List.copyOf(args));
  }

  private Operand operand() {
    Token t = next();
    Node.Term term;
    List<String> fields = new ArrayList<>();
    switch (t.kind()) {
      case DOT -> term = new Node.Dot();
      case FIELD -> {
        term = new Node.Dot();
        fields.add(t.text());
      }
      case VARIABLE -> {
        if (!vars.contains(t.text())) {
          throw error("undefined variable " + Fmt.quote(t.text(), '"'));
        }
        term = new Node.Var(t.text());
      }
      case STRING -> term = new Node.Literal(t.text(), t.raw());
      case CHAR -> term = new Node.Literal(Long.parseLong(t.text()), t.raw());
      case NUMBER -> term = new Node.Literal(number(t.text()), t.raw());
      case LPAREN -> {
        enter();
        term = new Node.Sub(pipeline("parenthesized pipeline", false, Kind.RPAREN));
        expect(Kind.RPAREN, "parenthesized pipeline");
        leave();
      }
      case IDENT -> {
        switch (t.text()) {
          case "true" -> term = new Node.Literal(Boolean.TRUE, "true");
          case "false" -> term = new Node.Literal(Boolean.FALSE, "false");
          case "nil" -> term = new Node.Literal(null, "nil");
          default -> {
            if (!functions.contains(t.text())) {
              throw error("function " + Fmt.quote(t.text(), '"') + " not defined");
            }
            term = new Node.Func(t.text());
          }
        }
      }
      default -> throw error("unexpected " + t.describe() + " in operand");
    }
    while (peek().kind() == Kind.FIELD && !peek().spaceBefore()) {
      fields.add(next().text());
    }
    return new Operand(term, List.copyOf(fields));
  }

  /** Go's number constants: int when integral syntax, float64 with a point or exponent. */
  private Object number(String text) {
    String s = text.replace("_", "");
    if (s.endsWith("i")) {
      throw error("complex number " + text + " is not supported");
    }
    boolean negative = s.startsWith("-");
    String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
    String lower = body.toLowerCase(java.util.Locale.ROOT);
    int radix = 10;
    String digits = body;
    if (lower.startsWith("0x")) {
      radix = 16;
      digits = body.substring(2);
    } else if (lower.startsWith("0o")) {
      radix = 8;
      digits = body.substring(2);
    } else if (lower.startsWith("0b")) {
      radix = 2;
      digits = body.substring(2);
    } else if (body.length() > 1
        && body.startsWith("0")
        && body.chars().allMatch(Character::isDigit)) {
      radix = 8;
      digits = body.substring(1);
    }
    boolean isFloat =
        radix == 16 ? lower.contains("p") || lower.contains(".") : lower.matches(".*[.e].*");
    try {
      if (!isFloat) {
        BigInteger v = new BigInteger(digits, radix);
        v = negative ? v.negate() : v;
        if (v.bitLength() > 63) {
          throw error("integer overflow: " + Fmt.quote(text, '"'));
        }
        return v.longValue();
      }
      double d =
          radix == 16
              ? Double.parseDouble(s + (lower.contains("p") ? "" : "p0"))
              : new BigDecimal(s).doubleValue();
      return negative && d == 0 ? -0.0 : d;
    } catch (NumberFormatException e) {
      throw error("illegal number syntax: " + Fmt.quote(text, '"'));
    }
  }
}
