package dev.isthmus.gotmpl;

import dev.isthmus.gotmpl.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Lexer} splits a template into text and action tokens as Go's {@code text/template} lexer
 * does: delimiters {@code {{ }}}, trim markers {@code {{- } and {@code -}}} (which drop the white
 * space next to them, newlines included), comments {@code {{/* ... *&#47;}}} and the items inside
 * actions. Actions may span lines.
 */
final class Lexer {
  private final String name;
  private final String in;
  private final List<Token> out = new ArrayList<>();
  private int pos;
  private int line = 1;
  private boolean trimNext;

  private Lexer(String name, String in) {
    this.name = name;
    this.in = in;
  }

  static List<Token> lex(String name, String text) {
    Lexer l = new Lexer(name, text);
    l.run();
    return l.out;
  }

  private TemplateException error(String msg) {
    return new TemplateException(name, line, msg);
  }

  private void run() {
    while (pos < in.length()) {
      int start = pos;
      if (trimNext) {
        while (start < in.length() && isSpace(in.charAt(start))) {
          start++;
        }
        trimNext = false;
      }
      int open = in.indexOf("{{", start);
      int end = open < 0 ? in.length() : open;
      boolean trimLeft = open >= 0 && in.startsWith("{{-", open) && spaceAt(open + 3);
      String text = in.substring(start, end);
      if (trimLeft) {
        text = text.stripTrailing();
      }
      int textLine = line;
      countLines(pos, end);
      if (!text.isEmpty()) {
        out.add(new Token(Kind.TEXT, text, textLine, false));
      }
      if (open < 0) {
        pos = in.length();
        break;
      }
      pos = open + (trimLeft ? 3 : 2);
      action();
    }
    out.add(new Token(Kind.EOF, "", line, false));
  }

  private boolean spaceAt(int i) {
    return i < in.length() && isSpace(in.charAt(i));
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private void countLines(int from, int to) {
    for (int i = from; i < to; i++) {
      if (in.charAt(i) == '\n') {
        line++;
      }
    }
  }

  private void skipSpace() {
    while (pos < in.length() && isSpace(in.charAt(pos))) {
      if (in.charAt(pos) == '\n') {
        line++;
      }
      pos++;
    }
  }

  /** At a right delimiter: consumes it and returns true. */
  private boolean rightDelim() {
    if (in.startsWith("}}", pos)) {
      pos += 2;
      return true;
    }
    if (in.startsWith("-}}", pos) && pos > 0 && isSpace(in.charAt(pos - 1))) {
      pos += 3;
      trimNext = true;
      return true;
    }
    return false;
  }

  private void action() {
    int startLine = line;
    int save = pos;
    skipSpace();
    if (in.startsWith("/*", pos)) {
      int close = in.indexOf("*/", pos + 2);
      if (close < 0) {
        throw error("unclosed comment");
      }
      countLines(pos, close);
      pos = close + 2;
      skipSpace();
      if (!rightDelim()) {
        throw error("comment ends before closing delimiter");
      }
      return;
    }
    pos = save;
    line = startLine;
    out.add(new Token(Kind.LEFT, "{{", line, false));
    while (true) {
      int before = pos;
      skipSpace();
      boolean space = pos > before;
      if (pos >= in.length()) {
        throw error("unclosed action");
      }
      if (rightDelim()) {
        out.add(new Token(Kind.RIGHT, "}}", line, space));
        return;
      }
      item(space);
    }
  }

  private void item(boolean space) {
    char c = in.charAt(pos);
    int l = line;
    switch (c) {
      case '|' -> add(Kind.PIPE, "|", space, 1);
      case '(' -> add(Kind.LPAREN, "(", space, 1);
      case ')' -> add(Kind.RPAREN, ")", space, 1);
      case ',' -> add(Kind.COMMA, ",", space, 1);
      case '=' -> add(Kind.ASSIGN, "=", space, 1);
      case ':' -> {
        if (!in.startsWith(":=", pos)) {
          throw error("expected :=");
        }
        add(Kind.DECLARE, ":=", space, 2);
      }
      case '"' -> out.add(new Token(Kind.STRING, quoted(), l, space));
      case '`' -> {
        int close = in.indexOf('`', pos + 1);
        if (close < 0) {
          throw error("unterminated raw quoted string");
        }
        String s = in.substring(pos + 1, close);
        countLines(pos, close);
        pos = close + 1;
        out.add(new Token(Kind.STRING, s, l, space));
      }
      case '\'' -> {
        int close = in.indexOf('\'', pos + 1);
        if (close < 0) {
          throw error("unterminated character constant");
        }
        String s = unescape(in.substring(pos + 1, close));
        pos = close + 1;
        out.add(new Token(Kind.CHAR, String.valueOf((long) s.codePointAt(0)), l, space));
      }
      case '$' -> {
        int end = identEnd(pos + 1);
        out.add(new Token(Kind.VARIABLE, in.substring(pos, end), l, space));
        pos = end;
      }
      case '.' -> {
        if (pos + 1 < in.length() && Character.isDigit(in.charAt(pos + 1))) {
          number(space);
        } else if (pos + 1 < in.length() && isIdent(in.charAt(pos + 1))) {
          int end = identEnd(pos + 1);
          out.add(new Token(Kind.FIELD, in.substring(pos + 1, end), l, space));
          pos = end;
        } else {
          add(Kind.DOT, ".", space, 1);
        }
      }
      default -> {
        if (Character.isDigit(c) || ((c == '-' || c == '+') && digitAt(pos + 1))) {
          number(space);
        } else if (isIdent(c)) {
          int end = identEnd(pos);
          out.add(new Token(Kind.IDENT, in.substring(pos, end), l, space));
          pos = end;
        } else {
          throw error("unexpected \"" + c + "\" in command");
        }
      }
    }
  }

  private boolean digitAt(int i) {
    return i < in.length() && Character.isDigit(in.charAt(i));
  }

  private void add(Kind kind, String text, boolean space, int len) {
    out.add(new Token(kind, text, line, space));
    pos += len;
  }

  private static boolean isIdent(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private int identEnd(int from) {
    int i = from;
    while (i < in.length() && isIdent(in.charAt(i))) {
      i++;
    }
    return i;
  }

  private void number(boolean space) {
    int start = pos;
    pos++;
    while (pos < in.length()
        && (Character.isLetterOrDigit(in.charAt(pos))
            || in.charAt(pos) == '.'
            || in.charAt(pos) == '_'
            || ((in.charAt(pos) == '-' || in.charAt(pos) == '+')
                && (in.charAt(pos - 1) == 'e' || in.charAt(pos - 1) == 'E')))) {
      pos++;
    }
    out.add(new Token(Kind.NUMBER, in.substring(start, pos), line, space));
  }

  private String quoted() {
    int i = pos + 1;
    StringBuilder raw = new StringBuilder();
    while (true) {
      if (i >= in.length() || in.charAt(i) == '\n') {
        throw error("unterminated quoted string");
      }
      char c = in.charAt(i);
      if (c == '\\' && i + 1 < in.length()) {
        raw.append(c).append(in.charAt(i + 1));
        i += 2;
        continue;
      }
      if (c == '"') {
        break;
      }
      raw.append(c);
      i++;
    }
    pos = i + 1;
    return unescape(raw.toString());
  }

  private String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 >= s.length()) {
        b.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case '\\', '"', '\'' -> b.append(e);
        case 'u', 'x' -> {
          int len = e == 'u' ? 4 : 2;
          if (i + 1 + len > s.length()) {
            throw error("bad escape in string");
          }
          b.append((char) Integer.parseInt(s.substring(i + 1, i + 1 + len), 16));
          i += len;
        }
        default -> throw error("unknown escape sequence \\" + e);
      }
    }
    return b.toString();
  }
}
