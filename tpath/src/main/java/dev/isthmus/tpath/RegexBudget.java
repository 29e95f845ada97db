package dev.isthmus.tpath;

/**
 * {@code RegexBudget} is the text a selector's regular expression runs on, counting character
 * reads: Java's backtracking matcher can take exponential time on patterns such as {@code (a|a)*b}
 * and a path is user input, so a match that reads more than a million characters is stopped with
 * {@link Exhausted}.
 */
final class RegexBudget implements CharSequence {
  static final int MAX_READS = 1_000_000;

  /** Thrown when a match has read {@link #MAX_READS} characters. */
  static final class Exhausted extends RuntimeException {
    Exhausted() {
      super(null, null, false, false);
    }
  }

  private final String text;
  private final int[] reads;

  RegexBudget(String text) {
    this(text, new int[1]);
  }

  private RegexBudget(String text, int[] reads) {
    this.text = text;
    this.reads = reads;
  }

  @Override
  public char charAt(int index) {
    if (++reads[0] > MAX_READS) {
      throw new Exhausted();
    }
    return text.charAt(index);
  }

  @Override
  public int length() {
    return text.length();
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new RegexBudget(text.substring(start, end), reads);
  }

  @Override
  public String toString() {
    return text;
  }
}
