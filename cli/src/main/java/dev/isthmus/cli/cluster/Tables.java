package dev.isthmus.cli.cluster;

import java.io.PrintStream;
import java.util.List;

/** {@code Tables} prints rows in columns padded to the widest cell plus one space, as kubectl. */
final class Tables {
  private Tables() {}

  static void print(PrintStream out, List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        sb.append(r[i]);
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - r[i].length() + 1));
        }
      }
      sb.append(System.lineSeparator());
    }
    out.print(sb);
  }
}
