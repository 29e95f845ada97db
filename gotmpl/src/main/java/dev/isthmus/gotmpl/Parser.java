package dev.isthmus.gotmpl;

import dev.isthmus.gotmpl.Node.Command;
import dev.isthmus.gotmpl.Node.Operand;
import dev.isthmus.gotmpl.Node.Pipeline;
import dev.isthmus.gotmpl.Token.Kind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Parser} builds the {@link Node} tree from the {@link Lexer}'s tokens. Like Go it rejects
 * unknown functions at parse time, and treats {@code else if}/{@code else with} as a nested control
 * sharing the outer {@code end}. {@code define} and {@code block} bodies go to {@code defines}.
 */
final class Parser {
  private final String name;
  private final List<Token> tokens;
  private final Set<String> functions;
  private final Map<String, List<Node>> defines;
  private int pos;
  private int rangeDepth;

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
    String end = p.list(root);
    if (end != null) {
      throw p.error("unexpected {{" + end + "}}");
    }
    return root;
  }

  private TemplateException error(String msg) {
    return new TemplateException(name, peek().line(), msg);
  }

  private Token peek() {
    return tokens.get(pos);
  }

  private Token next() {
    return tokens.get(pos++);
  }

  private Token expect(Kind kind, String context) {
    Token t = next();
    if (t.kind() != kind) {
      pos--;
      throw error("unexpected \"" + t.text() + "\" in " + context);
    }
    return t;
  }

  /**
   * Parses nodes into {@code out} until {@code {{end}}}/{@code {{else}}} (returned) or EOF (null).
   */
  private String list(List<Node> out) {
    while (true) {
      Token t = next();
      switch (t.kind()) {
        case EOF -> {
          pos--;
          return null;
        }
        case TEXT -> out.add(new Node.Text(t.text()));
        case LEFT -> {
          Token k = peek();
          String kw = k.kind() == Kind.IDENT ? k.text() : "";
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
              String n = expect(Kind.STRING, "define clause").text();
              expect(Kind.RIGHT, "define clause");
              List<Node> body = new ArrayList<>();
              if (!"end".equals(list(body))) {
                throw error("unexpected EOF in define clause");
              }
              expect(Kind.RIGHT, "end");
              defines.put(n, body);
            }
            case "template", "block" -> {
              pos++;
              String n = expect(Kind.STRING, kw + " clause").text();
              Pipeline p = peek().kind() == Kind.RIGHT ? null : pipeline(false, Kind.RIGHT);
              expect(Kind.RIGHT, kw + " clause");
              if (kw.equals("block")) {
                List<Node> body = new ArrayList<>();
                if (!"end".equals(list(body))) {
                  throw error("unexpected EOF in block clause");
                }
                expect(Kind.RIGHT, "end");
                defines.put(n, body);
              }
              out.add(new Node.Call(k.line(), n, p));
            }
            case "break", "continue" -> {
              pos++;
              if (rangeDepth == 0) {
                throw error("{{" + kw + "}} outside {{range}}");
              }
              expect(Kind.RIGHT, kw);
              out.add(new Node.Jump(k.line(), kw.equals("break")));
            }
            default -> {
              Pipeline p = pipeline(true, Kind.RIGHT);
              expect(Kind.RIGHT, "command");
              out.add(new Node.Action(k.line(), p));
            }
          }
        }
        default -> throw error("unexpected " + t.text());
      }
    }
  }

  /** After the keyword of if/with/range: pipeline, body, optional else, end. */
  private Node control(String keyword, int line) {
    Pipeline p = pipeline(true, Kind.RIGHT);
    expect(Kind.RIGHT, keyword);
    List<Node> body = new ArrayList<>();
    if (keyword.equals("range")) {
      rangeDepth++;
    }
    String end = list(body);
    if (keyword.equals("range")) {
      rangeDepth--;
    }
    List<Node> elseBody = List.of();
    if ("else".equals(end)) {
      Token t = peek();
      if (t.kind() == Kind.IDENT && (t.text().equals("if") || t.text().equals("with"))) {
        pos++;
        // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with the inner end shared.
        return new Node.Control(line, keyword, p, body, List.of(control(t.text(), t.line())));
      }
      expect(Kind.RIGHT, "else");
      elseBody = new ArrayList<>();
      end = list(elseBody);
    }
    if (!"end".equals(end)) {
      throw error("unexpected EOF: {{" + keyword + "}} without {{end}}");
    }
    expect(Kind.RIGHT, "end");
    return new Node.Control(line, keyword, p, body, elseBody);
  }

  private Pipeline pipeline(boolean allowDecl, Kind terminator) {
    int line = peek().line();
    List<String> vars = new ArrayList<>();
    boolean assign = false;
    if (allowDecl && peek().kind() == Kind.VARIABLE) {
      int save = pos;
      List<String> names = new ArrayList<>();
      names.add(next().text());
      if (peek().kind() == Kind.COMMA) {
        pos++;
        names.add(expect(Kind.VARIABLE, "range declaration").text());
      }
      Kind k = peek().kind();
      if (k == Kind.DECLARE || k == Kind.ASSIGN) {
        pos++;
        vars = names;
        assign = k == Kind.ASSIGN;
      } else {
        pos = save;
      }
    }
    List<Command> commands = new ArrayList<>();
    while (true) {
      commands.add(command(terminator));
      if (peek().kind() == Kind.PIPE) {
        pos++;
        continue;
      }
      break;
    }
    if (peek().kind() != terminator) {
      throw error("unexpected \"" + peek().text() + "\" in operand");
    }
    return new Pipeline(line, List.copyOf(vars), assign, List.copyOf(commands));
  }

  private Command command(Kind terminator) {
    List<Operand> args = new ArrayList<>();
    while (peek().kind() != Kind.PIPE && peek().kind() != terminator) {
      if (!args.isEmpty() && !peek().spaceBefore() && peek().kind() != Kind.LPAREN) {
        throw error("missing space before \"" + peek().text() + "\"");
      }
      args.add(operand());
    }
    if (args.isEmpty()) {
      throw error("missing value for command");
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
      case VARIABLE -> term = new Node.Var(t.text());
      case STRING -> term = new Node.Literal(t.text());
      case NUMBER, CHAR -> term = new Node.Literal(number(t.text()));
      case LPAREN -> {
        term = new Node.Sub(pipeline(false, Kind.RPAREN));
        expect(Kind.RPAREN, "parenthesized pipeline");
      }
      case IDENT -> {
        switch (t.text()) {
          case "true" -> term = new Node.Literal(Boolean.TRUE);
          case "false" -> term = new Node.Literal(Boolean.FALSE);
          case "nil" -> term = new Node.Literal(null);
          default -> {
            if (!functions.contains(t.text())) {
              pos--;
              throw error("function \"" + t.text() + "\" not defined");
            }
            term = new Node.Func(t.text());
          }
        }
      }
      default -> {
        pos--;
        throw error("unexpected \"" + t.text() + "\" in operand");
      }
    }
    while (peek().kind() == Kind.FIELD && !peek().spaceBefore()) {
      fields.add(next().text());
    }
    return new Operand(term, List.copyOf(fields));
  }

  private Object number(String text) {
    String s = text.replace("_", "");
    try {
      if (s.startsWith("0x") || s.startsWith("0X")) {
        return Long.parseLong(s.substring(2), 16);
      }
      if (s.matches("[+-]?\\d+")) {
        return Long.parseLong(s);
      }
      return new BigDecimal(s).doubleValue();
    } catch (NumberFormatException e) {
      throw error("bad number syntax: \"" + text + "\"");
    }
  }
}
