package dev.isthmus.gotmpl;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Template} is a parsed Go {@code text/template}: parse once with the functions it may call,
 * execute many times against different data. Supported: text and actions with trim markers,
 * comments, pipelines, fields and chained fields, variables ({@code :=}, {@code =}, {@code $}),
 * {@code if}/{@code else if}/{@code else}, {@code range} (lists, maps in key order, integers,
 * {@code break}/{@code continue}), {@code with}/{@code else with}, {@code define}/{@code
 * template}/{@code block}, parenthesised pipelines, constants, and all of Go's built-in functions.
 * Not supported: method calls with arguments, complex numbers. Behaviour is checked against tables
 * of Go's output ({@code src/test/resources/conformance}).
 *
 * <p>Templates come from users, so every input ends in output or a {@link TemplateException} within
 * bounds: controls and parentheses nest at most 1000 deep (at parse and, with template calls, at
 * run time), an execution writes at most 16 MiB and runs at most ten million range iterations,
 * {@code until} builds at most a million elements, and {@code printf} refuses widths and precisions
 * over a million as Go does.
 *
 * <p>Thread-safe once parsed.
 */
public final class Template {
  private final String name;
  private final List<Node> root;
  private final Map<String, List<Node>> defines;
  private final Map<String, Function> functions;

  private Template(
      String name, List<Node> root, Map<String, List<Node>> defines, Map<String, Function> f) {
    this.name = name;
    this.root = root;
    this.defines = defines;
    this.functions = f;
  }

  /**
   * Parses {@code text}.
   *
   * @param name the template's name, used in error messages
   * @param functions the functions the template may call besides the built-ins ({@link Builtins});
   *     these override built-ins of the same name
   * @throws TemplateException naming the template and line of a syntax error or unknown function
   */
  public static Template parse(String name, String text, Map<String, Function> functions) {
    Map<String, Function> all = new HashMap<>(Builtins.FUNCTIONS);
    all.putAll(functions);
    Map<String, List<Node>> defines = new HashMap<>();
    List<Node> root = Parser.parse(name, text, all.keySet(), defines);
    return new Template(name, root, Map.copyOf(defines), Map.copyOf(all));
  }

  /**
   * Executes the template with {@code data} as dot and {@code $}.
   *
   * @throws TemplateException naming the template, line and failing function or field
   */
  public String execute(Object data) {
    StringBuilder out = new StringBuilder();
    new Exec(name, defines, functions, out).run(root, data);
    return out.toString();
  }

  /** The template's name. */
  public String name() {
    return name;
  }
}
