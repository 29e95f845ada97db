package dev.isthmus.gotmpl;

/**
 * {@code Token} is one lexical item of a template.
 *
 * @param kind what the item is
 * @param text the item's text; for strings the decoded value, for errors the message
 * @param raw the item's text as written in the template
 * @param line 1-based line where the item starts
 * @param spaceBefore whether white space precedes the item inside its action (separates arguments;
 *     a field directly after an operand chains onto it)
 */
record Token(Kind kind, String text, String raw, int line, boolean spaceBefore) {
  enum Kind {
    TEXT,
    LEFT,
    RIGHT,
    IDENT,
    FIELD,
    VARIABLE,
    DOT,
    STRING,
    NUMBER,
    CHAR,
    PIPE,
    LPAREN,
    RPAREN,
    DECLARE,
    ASSIGN,
    COMMA,
    ERROR,
    EOF
  }

  /** The item as Go's parser names it in messages: {@code "x"}, or {@code <if>} for a keyword. */
  String describe() {
    return switch (kind) {
      case EOF -> "EOF";
      case IDENT -> Parser.KEYWORDS.contains(text) ? "<" + text + ">" : Fmt.quote(raw, '"');
      default -> Fmt.quote(raw, '"');
    };
  }
}
