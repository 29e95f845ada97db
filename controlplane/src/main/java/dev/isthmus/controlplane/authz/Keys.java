package dev.isthmus.controlplane.authz;

import dev.isthmus.controlplane.authz.Generators.RuleException;
import java.util.ArrayList;
import java.util.List;

/** {@code Keys} reads the bracketed names out of {@code when} keys such as {@code a[b][c]}. */
final class Keys {
  private Keys() {}

  /** {@code [name]} to {@code name}. */
  static String nameInBrackets(String s) {
    if (!s.startsWith("[") || !s.endsWith("]")) {
      throw new RuleException("expecting format [<NAME>], but found " + s);
    }
    return s.substring(1, s.length() - 1);
  }

  /**
   * {@code [a][b]} to {@code [a, b]}; anything that is not a clean sequence of brackets is read as
   * one name, so {@code [a.b]} and {@code [a[b]} stay single claims as they do in Istio.
   */
  static List<String> nestedNames(String s) {
    List<String> names = new ArrayList<>();
    int begin = 0;
    while (begin < s.length()) {
      int end = closing(s, begin);
      if (end < 0) {
        return List.of(nameInBrackets(s));
      }
      names.add(s.substring(begin + 1, end));
      begin = end + 1;
    }
    return names;
  }

  private static int closing(String s, int begin) {
    if (begin >= s.length() || s.charAt(begin) != '[') {
      return -1;
    }
    for (int i = begin + 1; i < s.length(); i++) {
      if (s.charAt(i) == '[') {
        return -1;
      }
      if (s.charAt(i) == ']') {
        return i;
      }
    }
    return -1;
  }
}
