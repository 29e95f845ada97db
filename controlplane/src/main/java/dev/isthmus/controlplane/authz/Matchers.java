package dev.isthmus.controlplane.authz;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code Matchers} builds the Envoy string, header, path and metadata matchers that authorization
 * values translate to; a leading or trailing {@code *} means suffix or prefix, a lone {@code *}
 * means "any non-empty value".
 */
final class Matchers {
  private Matchers() {}

  static StringMatcher regex(String regex) {
    return StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex(regex))
        .build();
  }

  static StringMatcher exact(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setExact(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher prefix(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setPrefix(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher suffix(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setSuffix(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher string(String v) {
    return withPrefix(v, "");
  }

  /**
   * Matches {@code v} (with its wildcard) after a fixed prefix such as {@code spiffe://}; a suffix
   * match behind a prefix has to become a regex because Envoy has no "prefix and suffix" matcher.
   */
  static StringMatcher withPrefix(String v, String prefix) {
    if (v.equals("*")) {
      return regex(".+");
    }
    if (v.startsWith("*")) {
      if (prefix.isEmpty()) {
        return suffix(v.substring(1), false);
      }
      return regex(prefix + ".*" + quote(v.substring(1)));
    }
    if (v.endsWith("*")) {
      return prefix(prefix + v.substring(0, v.length() - 1), false);
    }
    return exact(prefix + v, false);
  }

  /** Quotes regex metacharacters the way RE2 users expect (no \Q..\E, which RE2 lacks). */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  static HeaderMatcher header(String name, String v) {
    return headerWithCase(name, v, false);
  }

  /** Host names compare case-insensitively, other headers do not. */
  static HeaderMatcher host(String name, String v) {
    return headerWithCase(name, v, true);
  }

  private static HeaderMatcher headerWithCase(String name, String v, boolean ignoreCase) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (v.equals("*")) {
      return h.setPresentMatch(true).build();
    }
    if (v.startsWith("*")) {
      return h.setStringMatch(suffix(v.substring(1), ignoreCase)).build();
    }
    if (v.endsWith("*")) {
      return h.setStringMatch(prefix(v.substring(0, v.length() - 1), ignoreCase)).build();
    }
    return h.setStringMatch(exact(v, ignoreCase)).build();
  }

  static PathMatcher path(String v) {
    return PathMatcher.newBuilder().setPath(string(v)).build();
  }

  static ValueMatcher value(StringMatcher m) {
    return ValueMatcher.newBuilder().setStringMatch(m).build();
  }

  static ValueMatcher or(List<ValueMatcher> matchers) {
    if (matchers.size() == 1) {
      return matchers.get(0);
    }
    return ValueMatcher.newBuilder()
        .setOrMatch(OrMatcher.newBuilder().addAllValueMatchers(matchers))
        .build();
  }

  static ValueMatcher stringOr(List<String> values) {
    return or(values.stream().map(v -> value(string(v))).toList());
  }

  static ValueMatcher listOneOf(ValueMatcher v) {
    return ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(v)).build();
  }

  /** Matches the value at {@code filter}/{@code key} of the dynamic metadata. */
  static MetadataMatcher metadata(String filter, List<String> keys, ValueMatcher value) {
    MetadataMatcher.Builder b = MetadataMatcher.newBuilder().setFilter(filter).setValue(value);
    for (String k : keys) {
      b.addPathBuilder().setKey(k);
    }
    return b.build();
  }

  /**
   * Matches a value that may be a list (any element matches) or a scalar (the value matches), which
   * is how JWT claims arrive: {@code aud} is sometimes a string, sometimes a list.
   */
  static MetadataMatcher metadataListOrScalar(String filter, List<String> keys, ValueMatcher v) {
    ValueMatcher either =
        ValueMatcher.newBuilder()
            .setOrMatch(OrMatcher.newBuilder().addValueMatchers(listOneOf(v)).addValueMatchers(v))
            .build();
    return metadata(filter, keys, either);
  }

  /**
   * Canonical IPv6 text (RFC 5952: lowercase, no leading zeros, longest zero run as {@code ::}) so
   * that the same address always yields the same config.
   */
  static String ipv6(String ip, String original) {
    int[] w = parseIpv6(ip);
    if (w == null) {
      throw new IllegalArgumentException("invalid IP address " + original);
    }
    if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0xffff) {
      return "::ffff:"
          + (w[6] >> 8)
          + "."
          + (w[6] & 0xff)
          + "."
          + (w[7] >> 8)
          + "."
          + (w[7] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && w[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLen - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(w[i]));
    }
    return s.toString();
  }

  /** Parses IPv6 text into eight 16-bit words without ever touching DNS; null when invalid. */
  private static int[] parseIpv6(String ip) {
    String text = ip;
    int[] tail = null;
    int lastColon = text.lastIndexOf(':');
    if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
      String v4 = text.substring(lastColon + 1);
      if (!IPV4.matcher(v4).matches()) {
        return null;
      }
      String[] o = v4.split("\\.");
      tail = new int[2];
      for (int i = 0; i < 4; i++) {
        int x = Integer.parseInt(o[i]);
        if (x > 255) {
          return null;
        }
        tail[i / 2] |= i % 2 == 0 ? x << 8 : x;
      }
      text = text.substring(0, lastColon + 1) + "0:0";
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    List<String> head = words(gap < 0 ? text : text.substring(0, gap));
    List<String> rest = gap < 0 ? List.of() : words(text.substring(gap + 2));
    if (head == null || rest == null) {
      return null;
    }
    int n = head.size() + rest.size();
    if (gap < 0 ? n != 8 : n > 7) {
      return null;
    }
    int[] w = new int[8];
    for (int i = 0; i < head.size(); i++) {
      w[i] = Integer.parseInt(head.get(i), 16);
    }
    for (int i = 0; i < rest.size(); i++) {
      w[8 - rest.size() + i] = Integer.parseInt(rest.get(i), 16);
    }
    if (tail != null) {
      w[6] = tail[0];
      w[7] = tail[1];
    }
    return w;
  }

  private static List<String> words(String s) {
    if (s.isEmpty()) {
      return List.of();
    }
    List<String> out = List.of(s.split(":", -1));
    for (String x : out) {
      if (!x.matches("[0-9A-Fa-f]{1,4}")) {
        return null;
      }
    }
    return out;
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** Parses an address or CIDR; a bare address becomes a /32 or /128. */
  static CidrRange cidr(String addr) {
    if (addr.isEmpty()) {
      throw new IllegalArgumentException("empty address");
    }
    String ip = addr;
    Integer bits = null;
    int slash = addr.indexOf('/');
    if (slash >= 0) {
      ip = addr.substring(0, slash);
      try {
        bits = Integer.parseInt(addr.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid CIDR " + addr);
      }
    }
    int max;
    if (IPV4.matcher(ip).matches()) {
      for (String octet : ip.split("\\.")) {
        if (Integer.parseInt(octet) > 255 || (octet.length() > 1 && octet.startsWith("0"))) {
          throw new IllegalArgumentException("invalid IP address " + addr);
        }
      }
      max = 32;
    } else if (ip.contains(":") && ip.matches("[0-9A-Fa-f:.]+")) {
      max = 128;
    } else {
      throw new IllegalArgumentException("invalid IP address " + addr);
    }
    int len = bits == null ? max : bits;
    if (len < 0 || len > max) {
      throw new IllegalArgumentException("invalid prefix length in " + addr);
    }
    return CidrRange.newBuilder()
        .setAddressPrefix(max == 32 ? ip : ipv6(ip, addr))
        .setPrefixLen(com.google.protobuf.UInt32Value.of(len))
        .build();
  }
}
