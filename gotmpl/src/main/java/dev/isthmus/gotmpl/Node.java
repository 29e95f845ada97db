package dev.isthmus.gotmpl;

import java.util.List;

/** {@code Node} is the parse tree of a template, one record per construct of Go's templates. */
sealed interface Node {
  /** Literal text copied to the output. */
  record Text(String text) implements Node {}

  /** {@code {{ pipeline }}}: evaluated, printed unless it declares variables. */
  record Action(int line, Pipeline pipe) implements Node {}

  /** {@code if}, {@code range} or {@code with} with its body and optional {@code else} body. */
  record Control(int line, String keyword, Pipeline pipe, List<Node> body, List<Node> elseBody)
      implements Node {}

  /** {@code {{ template "name" pipeline }}}; {@code pipe} may be null. */
  record Call(int line, String name, Pipeline pipe) implements Node {}

  /** {@code {{ break }}} or {@code {{ continue }}} inside a range. */
  record Jump(int line, boolean isBreak) implements Node {}

  /**
   * A pipeline: optional variable declarations ({@code :=}) or assignments ({@code =}) and the
   * commands joined by {@code |}.
   */
  record Pipeline(int line, List<String> vars, boolean assign, List<Command> commands) {}

  /** One command: its operands; the first may name a function. */
  record Command(List<Operand> args) {}

  /** A term followed by zero or more field names chained onto it. */
  record Operand(Term term, List<String> fields) {}

  /** The start of an operand. */
  sealed interface Term {}

  /** The dot, {@code .}. */
  record Dot() implements Term {}

  /** A variable, {@code $} or {@code $name}. */
  record Var(String name) implements Term {}

  /** A function name. */
  record Func(String name) implements Term {}

  /** A string, number, boolean or nil constant, with its text as written. */
  record Literal(Object value, String text) implements Term {}

  /** A parenthesised pipeline. */
  record Sub(Pipeline pipe) implements Term {}
}
