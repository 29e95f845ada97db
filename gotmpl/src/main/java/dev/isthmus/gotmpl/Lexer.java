package dev.isthmus.gotmpl;

import dev.isthmus.gotmpl.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Lexer} splits a template into text and action tokens as Go's {@code text/template} lexer
 * does: delimiters {@code {{ }}}, trim markers {@code {{- } and {@code -}}} (which drop the white
 * space next to them, newlines included), comments {@code {{/* ... *&#47;}}} that start and end at
 * the delimiters, and the items inside actions. Actions may span lines. A lexical error becomes an
 * {@link Kind#ERROR} token that ends the list, so that the parser reports errors in the order Go
 * does.
 */
final class Lexer {
  private static final String SPACE = " \t\r\n";

  private final String name;
  private final String in;
  private final List<Token> out = new ArrayList<>();
  private int pos;
  private int line = 1;
  private boolean trimNext;
  private int parens;

  /** Thrown to stop lexing after an error token. */
  private static final class Stop extends RuntimeException {
    Stop() {
      super(null, null, false, false);
    }
  }

  private Lexer(String name, String in) {
    this.name = name;
    this.in = in;
  }

  static List<Token> lex(String name, String text) {
    Lexer l = new Lexer(name, text);
    try {
      l.run();
    } catch (Stop e) {
      // the error token is the last one
    }
    return l.out;
  }

  private Stop fail(String msg) {
    out.add(new Token(Kind.ERROR, msg, msg, line, false));
    return new Stop();
  }

  private void run() {
    while (pos < in.length()) {
      int start = pos;
      if (trimNext) {
        while (start < in.length() && isSpace(in.charAt(start))) {
          start++;
        }
        countLines(pos, start);
        pos = start;
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
        out.add(new Token(Kind.TEXT, text, text, textLine, false));
      }
      if (open < 0) {
        pos = in.length();
        break;
      }
      pos = open + (trimLeft ? 3 : 2);
      action(trimLeft);
    }
    out.add(new Token(Kind.EOF, "", "", line, false));
  }

  private boolean spaceAt(int i) {
    return i < in.length() && isSpace(in.charAt(i));
  }

  private static boolean isSpace(char c) {
    return SPACE.indexOf(c) >= 0;
  }

  private void countLines(int from, int to) {
    for (int i = from; i < to; i++) {
      if (in.charAt(i) == '\n') {
        line++;
      }
    }
  }

  private void skipSpace() {
    int start = pos;
    while (pos < in.length() && isSpace(in.charAt(pos))) {
      pos++;
    }
    countLines(start, pos);
  }

  /** At a right delimiter, {@code }}} or {@code -}}} after space: consumes it, returns true. */
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

  private void action(boolean trimmed) {
    int startLine = line;
    int comment = pos + (trimmed ? 1 : 0);
    if (in.startsWith("/*", comment)) {
      pos = comment;
      int close = in.indexOf("*/", pos + 2);
      if (close < 0) {
        throw fail("unclosed comment");
      }
      countLines(pos, close);
      pos = close + 2;
      if (spaceAt(pos) && in.startsWith("-}}", pos + 1)) {
        pos++;
      }
      if (!rightDelim()) {
        throw fail("comment ends before closing delimiter");
      }
      return;
    }
    out.add(new Token(Kind.LEFT, "{{", "{{", line, false));
    parens = 0;
    while (true) {
      int before = pos;
      skipSpace();
      boolean space = pos > before;
      if (pos >= in.length()) {
        throw fail(
            line == startLine
                ? "unclosed action"
                : "unclosed action started at " + name + ":" + startLine);
      }
      if (rightDelim()) {
        if (parens > 0) {
          throw fail("unclosed left paren");
        }
        out.add(new Token(Kind.RIGHT, "}}", "}}", line, space));
        return;
      }
      item(space);
    }
  }

  private void item(boolean space) {
    char c = in.charAt(pos);
    int l = line;
    int start = pos;
    switch (c) {
      case '|' -> add(Kind.PIPE, space, 1);
      case '(' -> {
        parens++;
        add(Kind.LPAREN, space, 1);
      }
      case ')' -> {
        if (--parens < 0) {
          throw fail("unexpected right paren");
        }
        add(Kind.RPAREN, space, 1);
      }
      case ',' -> add(Kind.COMMA, space, 1);
      case '=' -> add(Kind.ASSIGN, space, 1);
      case ':' -> {
        if (!in.startsWith(":=", pos)) {
          throw fail("expected :=");
        }
        add(Kind.DECLARE, space, 2);
      }
      case '"' -> {
        int end = quoted('"', "unterminated quoted string");
        String s = unescape(in.substring(start + 1, end - 1), '"');
        if (s == null) {
          throw fail("invalid syntax");
        }
        out.add(new Token(Kind.STRING, s, in.substring(start, end), l, space));
      }
      case '`' -> {
        int close = in.indexOf('`', pos + 1);
        if (close < 0) {
          throw fail("unterminated raw quoted string");
        }
        String s = in.substring(pos + 1, close);
        countLines(pos, close);
        pos = close + 1;
        out.add(new Token(Kind.STRING, s, in.substring(start, pos), l, space));
      }
      case '\'' -> {
        int end = quoted('\'', "unterminated character constant");
        String raw = in.substring(start, end);
        String s = unescape(raw.substring(1, raw.length() - 1), '\'');
        if (s == null || s.codePointCount(0, s.length()) != 1) {
          throw fail("malformed character constant: " + raw);
        }
        out.add(new Token(Kind.CHAR, String.valueOf(s.codePointAt(0)), raw, l, space));
      }
      case '$' -> word(Kind.VARIABLE, pos + 1, space);
      case '.' -> {
        if (digitAt(pos + 1)) {
          number(space);
        } else if (pos + 1 < in.length() && isIdent(in.charAt(pos + 1))) {
          int end = identEnd(pos + 1);
          out.add(
              new Token(Kind.FIELD, in.substring(pos + 1, end), in.substring(pos, end), l, space));
          pos = end;
        } else {
          add(Kind.DOT, space, 1);
        }
      }
      default -> {
        if (Character.isDigit(c) || c == '-' || c == '+') {
          number(space);
        } else if (isIdent(c)) {
          word(Kind.IDENT, pos, space);
        } else {
          throw fail("unexpected " + Fmt.quote(String.valueOf(c), '"') + " in command");
        }
      }
    }
  }

  private void word(Kind kind, int from, boolean space) {
    int end = identEnd(from);
    String w = in.substring(pos, end);
    out.add(new Token(kind, w, w, line, space));
    pos = end;
  }

  /** The end (after the closing quote) of a quoted item starting at {@code pos}. */
  private int quoted(char q, String unterminated) {
    int i = pos + 1;
    while (true) {
      if (i >= in.length() || in.charAt(i) == '\n') {
        throw fail(unterminated);
      }
      char c = in.charAt(i);
      if (c == '\\') {
        i += 2;
        continue;
      }
      i++;
      if (c == q) {
        pos = i;
        return i;
      }
    }
  }

  private boolean digitAt(int i) {
    return i < in.length() && Character.isDigit(in.charAt(i));
  }

  private void add(Kind kind, boolean space, int len) {
    String t = in.substring(pos, pos + len);
    out.add(new Token(kind, t, t, line, space));
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

  private boolean accept(String chars) {
    if (pos < in.length() && chars.indexOf(in.charAt(pos)) >= 0) {
      pos++;
      return true;
    }
    return false;
  }

  private void acceptRun(String chars) {
    while (accept(chars)) {
      // consume
    }
  }

  /** Go's {@code scanNumber}: the parser decides what the text means. */
  private void number(boolean space) {
    int start = pos;
    accept("+-");
    String digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    acceptRun(digits);
    if (accept(".")) {
      acceptRun(digits);
    }
    if (digits.length() == 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length() == 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    if (pos < in.length() && isIdent(in.charAt(pos))) {
      pos++;
      throw fail("bad number syntax: " + Fmt.quote(in.substring(start, pos), '"'));
    }
    String t = in.substring(start, pos);
    out.add(new Token(Kind.NUMBER, t, t, line, space));
  }

  /** Go's string and character escapes; null when one is malformed. */
  private static String unescape(String s, char quote) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (++i >= s.length()) {
        return null;
      }
      char e = s.charAt(i);
      int hex =
          switch (e) {
            case 'x' -> 2;
            case 'u' -> 4;
            case 'U' -> 8;
            default -> 0;
          };
      if (hex > 0 || (e >= '0' && e <= '7')) {
        int len = hex > 0 ? hex : 3;
        int from = hex > 0 ? i + 1 : i;
        if (from + len > s.length()) {
          return null;
        }
        try {
          b.appendCodePoint(Integer.parseInt(s.substring(from, from + len), hex > 0 ? 16 : 8));
        } catch (IllegalArgumentException x) {
          return null;
        }
        i = from + len - 1;
        continue;
      }
      int simple = "abfnrtv\\".indexOf(e);
      if (simple >= 0) {
        b.append("\u0007\b\f\n\r\t\u000b\\".charAt(simple));
      } else if (e == quote) {
        b.append(e);
      } else {
        return null;
      }
    }
    return b.toString();
  }
}
