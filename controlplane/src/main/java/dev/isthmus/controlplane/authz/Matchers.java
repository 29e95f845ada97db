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
        .setAddressPrefix(ip.toLowerCase(java.util.Locale.ROOT))
        .setPrefixLen(com.google.protobuf.UInt32Value.of(len))
        .build();
  }
}
