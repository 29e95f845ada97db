package dev.isthmus.controlplane.webhooks.inject;

import dev.isthmus.gotmpl.Function;
import dev.isthmus.gotmpl.GoStruct;
import dev.isthmus.gotmpl.GoValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code IstioFuncs} are the functions Istio adds to Sprig for its injection templates ({@code
 * pkg/kube/inject/template.go}), with Istio's semantics: {@code annotation} falls back to the
 * printed default, {@code indent} leaves the first line alone and {@code toYaml} keeps the trailing
 * newline (both differ from Sprig), {@code contains} is {@code contains SUBSTR STRING}, {@code
 * fromJSON} yields {@code "{}"} for bad input; {@code protoToJSON} and {@code
 * otelResourceAttributes} are {@link MeshFuncs}.
 */
final class IstioFuncs {
  static final Map<String, Function> FUNCTIONS = build();

  private IstioFuncs() {}

  private static Map<String, Function> build() {
    Map<String, Function> f = new HashMap<>();
    f.put("annotation", a -> annotation(a.get(0), str(a.get(1)), a.get(2)));
    f.put("valueOrDefault", a -> a.get(0) == null || "".equals(a.get(0)) ? a.get(1) : a.get(0));
    f.put("isset", a -> map(a.get(0)).containsKey(str(a.get(1))));
    f.put("excludeInboundPort", a -> excludeInboundPort(a.get(0), str(a.get(1))));
    f.put("includeInboundPorts", a -> String.join(",", ports(a.get(0), false)));
    f.put("applicationPorts", a -> String.join(",", ports(a.get(0), true)));
    f.put("kubevirtInterfaces", a -> str(a.get(0)));
    f.put("excludeInterfaces", a -> str(a.get(0)));
    f.put("toJSON", a -> a.get(0) == null ? "{}" : json(a.get(0)));
    f.put("fromJSON", a -> fromJson(str(a.get(0))));
    f.put("structToJSON", a -> a.get(0) == null ? "{}" : json(a.get(0)));
    f.put("protoToJSON", a -> a.get(0) == null ? "{}" : json(MeshFuncs.cleanProxyConfig(a.get(0))));
    f.put("toYaml", a -> toYaml(a.get(0)));
    f.put("indent", a -> indent((int) GoValues.toLong(a.get(0)), str(a.get(1))));
    f.put("directory", a -> directory(str(a.get(0))));
    f.put("contains", a -> str(a.get(1)).contains(str(a.get(0))));
    f.put("toLower", a -> str(a.get(0)).toLowerCase(java.util.Locale.ROOT));
    f.put("appendMultusNetwork", a -> appendMultusNetwork(str(a.get(0)), str(a.get(1))));
    f.put("env", a -> env(str(a.get(0)), str(a.get(1))));
    f.put("omit", IstioFuncs::omit);
    f.put("strdict", IstioFuncs::strdict);
    f.put("toJsonMap", IstioFuncs::toJsonMap);
    f.put("omitNil", a -> omitNil(a.get(0)));
    f.put("otelResourceAttributes", MeshFuncs::otelResourceAttributes);
    f.put("formatDuration", a -> str(a.get(0)));
    return Map.copyOf(f);
  }

  private static String str(Object v) {
    return GoValues.print(v);
  }

  private static Map<String, Object> map(Object v) {
    if (v instanceof GoStruct s) {
      return s.fields();
    }
    if (v instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> typed = (Map<String, Object>) m;
      return typed;
    }
    if (v == null) {
      return Map.of();
    }
    throw new IllegalArgumentException("expected a map, got " + str(v));
  }

  private static String annotation(Object meta, String name, Object def) {
    Object annotations = meta instanceof GoStruct s ? s.field("Annotations") : null;
    Map<String, Object> m = map(annotations);
    return m.containsKey(name) ? str(m.get(name)) : str(def);
  }

  /** The excluded inbound ports with {@code port} (the status port) appended once, unless 0. */
  static String excludeInboundPort(Object port, String excluded) {
    String p = str(port).trim();
    if (p.isEmpty() || p.equals("0")) {
      return excluded;
    }
    List<String> out = new ArrayList<>();
    for (String s : excluded.split(",")) {
      String t = s.trim();
      if (!t.isEmpty() && !t.equals(p)) {
        out.add(t);
      }
    }
    out.add(p);
    return String.join(",", out);
  }

  private static List<String> ports(Object containers, boolean skipProxy) {
    List<String> out = new ArrayList<>();
    for (Object c : GoValues.toList(containers)) {
      if (!(c instanceof GoStruct s)) {
        continue;
      }
      if (skipProxy && "istio-proxy".equals(s.field("Name"))) {
        continue;
      }
      for (Object p : GoValues.toList(s.field("Ports"))) {
        if (p instanceof GoStruct ps && ps.field("ContainerPort") != null) {
          out.add(str(ps.field("ContainerPort")));
        }
      }
    }
    return out;
  }

  private static String json(Object v) {
    try {
      return InjectionConfig.JSON.writeValueAsString(GoValues.plain(v));
    } catch (Exception e) {
      return "{}";
    }
  }

  private static Object fromJson(String s) {
    try {
      return GoValues.plain(InjectionConfig.JSON.readTree(s));
    } catch (Exception e) {
      return "{}";
    }
  }

  private static String toYaml(Object v) {
    try {
      return GoValues.toYaml(v);
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static String indent(int spaces, String s) {
    return s.replace("\n", "\n" + " ".repeat(Math.max(0, spaces)));
  }

  private static String directory(String path) {
    int i = path.lastIndexOf('/');
    return i < 0 ? "." : i == 0 ? "/" : path.substring(0, i);
  }

  private static String appendMultusNetwork(String existing, String network) {
    if (existing.isBlank()) {
      return network;
    }
    if (existing.trim().startsWith("[")) {
      String[] nsName = network.split("/", 2);
      String entry =
          nsName.length == 2
              ? "{\"name\":\"" + nsName[1] + "\",\"namespace\":\"" + nsName[0] + "\"}"
              : "{\"name\":\"" + network + "\"}";
      if (existing.contains("\"" + (nsName.length == 2 ? nsName[1] : network) + "\"")) {
        return existing;
      }
      String t = existing.trim();
      return t.substring(0, t.length() - 1) + (t.equals("[]") ? "" : ", ") + entry + "]";
    }
    for (String s : existing.split(",")) {
      if (s.trim().equals(network)) {
        return existing;
      }
    }
    return existing + ", " + network;
  }

  private static String env(String key, String def) {
    String v = System.getenv(key);
    return v == null || v.isEmpty() ? def : v;
  }

  private static Object omit(List<Object> a) {
    Map<String, Object> out = new LinkedHashMap<>(map(a.get(0)));
    for (Object k : a.subList(1, a.size())) {
      out.remove(str(k));
    }
    return out;
  }

  private static Object strdict(List<Object> a) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i + 1 < a.size(); i += 2) {
      out.put(str(a.get(i)), str(a.get(i + 1)));
    }
    return out;
  }

  private static Object toJsonMap(List<Object> a) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Object m : a) {
      out.putAll(map(m));
    }
    return json(out);
  }

  /** The value with null map entries removed, recursively. */
  static Object omitNil(Object v) {
    if (v instanceof GoStruct s) {
      return omitNil(s.plain());
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach(
          (k, x) -> {
            if (x != null) {
              out.put(String.valueOf(k), omitNil(x));
            }
          });
      return out;
    }
    if (v instanceof List<?> l) {
      return l.stream().map(IstioFuncs::omitNil).toList();
    }
    return v;
  }
}
