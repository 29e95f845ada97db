package dev.isthmus.cli;

import java.io.PrintStream;

/** Opens {@link IsthmusMain#dispatch} to the tests of other packages. */
public final class IsthmusMainAccess {
  private IsthmusMainAccess() {}

  public static int dispatch(String[] args, PrintStream out, PrintStream err) {
    return IsthmusMain.dispatch(args, out, err);
  }
}
