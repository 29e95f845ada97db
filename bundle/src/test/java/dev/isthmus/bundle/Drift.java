package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code Drift} lists where a live object differs from the rendered one: every field the renderer
 * set must be on the live object with the same value. Fields the API server adds (defaults, status,
 * metadata) are ignored; empty rendered maps and lists are ignored (the server drops them); numbers
 * may come back as strings and quantities in canonical form.
 */
final class Drift {
  private Drift() {}

  static List<String> of(JsonNode rendered, JsonNode live) {
    List<String> out = new ArrayList<>();
    walk("", rendered, live, out);
    return out;
  }

  private static void walk(String path, JsonNode want, JsonNode got, List<String> out) {
    if (want == null
        || want.isNull()
        || ((want.isObject() || want.isArray()) && want.isEmpty())
        || (want.isTextual() && want.asText().isEmpty() && (got == null || got.isMissingNode()))) {
      return;
    }
    if (got == null || got.isMissingNode() || got.isNull()) {
      out.add(path + ": missing");
      return;
    }
    if (want.isObject()) {
      if (!got.isObject()) {
        out.add(path + ": expected an object");
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
        var e = it.next();
        walk(path + "." + e.getKey(), e.getValue(), got.get(e.getKey()), out);
      }
    } else if (want.isArray()) {
      if (!got.isArray() || got.size() != want.size()) {
        out.add(
            path
                + ": expected "
                + want.size()
                + " elements, found "
                + (got.isArray() ? got.size() : got.getNodeType()));
        return;
      }
      for (int i = 0; i < want.size(); i++) {
        walk(path + "[" + i + "]", want.get(i), got.get(i), out);
      }
    } else if (!scalarEquals(want, got)) {
      out.add(path + ": rendered " + want + ", live " + got);
    }
  }

  private static boolean scalarEquals(JsonNode want, JsonNode got) {
    if (want.equals(got) || want.asText().equals(got.asText())) {
      return true;
    }
    try {
      BigDecimal a = Quantity.getAmountInBytes(new Quantity(want.asText()));
      BigDecimal b = Quantity.getAmountInBytes(new Quantity(got.asText()));
      return a.compareTo(b) == 0;
    } catch (RuntimeException notQuantities) {
      return false;
    }
  }
}
