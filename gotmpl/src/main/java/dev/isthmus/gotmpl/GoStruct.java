package dev.isthmus.gotmpl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GoStruct} presents a JSON object of a Kubernetes or Istio API type (pod, ProxyConfig,
 * MeshConfig) the way the Go templates see the Go struct: a field is named by its Go name ({@code
 * .Spec.Containers}, {@code .TypeMeta.APIVersion}) and resolves the JSON key of the same name in
 * lower camel case; the exact key is tried first, so Go maps inside ({@code .ObjectMeta.Labels})
 * keep their keys. Protobuf getters ({@code GetTracing}) read the field of that name, {@code
 * GetValue} unwraps a wrapper type, {@code String} prints an enum. {@code zero} holds what an unset
 * field reads as (an enum's zero value) without being part of the object.
 *
 * @param fields the object's fields, values already converted by {@link GoValues#struct}
 * @param zero values for absent fields; empty for plain objects
 */
public record GoStruct(Map<String, Object> fields, Map<String, Object> zero) {
  /** A struct without zero values. */
  public GoStruct(Map<String, Object> fields) {
    this(fields, Map.of());
  }

  /** The field with Go name {@code goName}, or null when absent. */
  public Object field(String goName) {
    if (fields.containsKey(goName)) {
      return fields.get(goName);
    }
    String camel = lowerCamel(goName);
    if (fields.containsKey(camel)) {
      return fields.get(camel);
    }
    for (var e : fields.entrySet()) {
      if (e.getKey().equalsIgnoreCase(goName)) {
        return e.getValue();
      }
    }
    if (zero.containsKey(goName)) {
      return zero.get(goName);
    }
    return zero.get(camel);
  }

  /** Go's JSON naming: {@code APIVersion} → {@code apiVersion}, {@code UID} → {@code uid}. */
  static String lowerCamel(String goName) {
    int upper = 0;
    while (upper < goName.length() && Character.isUpperCase(goName.charAt(upper))) {
      upper++;
    }
    if (upper == 0) {
      return goName;
    }
    if (upper == goName.length()) {
      return goName.toLowerCase(java.util.Locale.ROOT);
    }
    int cut = upper == 1 ? 1 : upper - 1;
    return goName.substring(0, cut).toLowerCase(java.util.Locale.ROOT) + goName.substring(cut);
  }

  /** The fields as plain maps and lists, for serialising. */
  public Map<String, Object> plain() {
    Map<String, Object> out = new LinkedHashMap<>();
    fields.forEach((k, v) -> out.put(k, GoValues.plain(v)));
    return out;
  }

  static Object plainList(List<?> l) {
    return l.stream().map(GoValues::plain).toList();
  }
}
