package dev.isthmus.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.isthmus.api.v1alpha1.IstioOperator;
import dev.isthmus.translate.ComponentManifest;
import dev.isthmus.translate.RenderResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ChangePlan} is what applying a render would do to the live cluster: the objects it would
 * create, those it would update (with the fields that change), and those it would prune. An update
 * compares the live object with the result of a server-side apply dry run of the desired one, both
 * stripped of what the server maintains (managedFields, resourceVersion, generation, uid,
 * timestamps, status), so fields the API server defaults make no noise: an unchanged render plans
 * no update.
 *
 * <p>Computing a plan writes nothing.
 */
public final class ChangePlan {
  /** What happens to one object. */
  public enum Action {
    CREATE("+", "create"),
    UPDATE("~", "update"),
    PRUNE("-", "prune");

    final String sign;
    final String verb;

    Action(String sign, String verb) {
      this.sign = sign;
      this.verb = verb;
    }
  }

  /** One changed field: {@code before} is null when added, {@code after} null when removed. */
  public record FieldChange(String path, JsonNode before, JsonNode after) {
    /** {@code path: before -> after}, values as compact JSON, long ones shortened. */
    @Override
    public String toString() {
      return path + ": " + show(before) + " -> " + show(after);
    }
  }

  /** The change to one object, {@code object} as {@code Kind namespace/name}. */
  public record Change(Action action, String object, List<FieldChange> fields) {
    public Change {
      fields = List.copyOf(fields);
    }
  }

  private static final int LONGEST_VALUE = 120;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<Change> changes;

  ChangePlan(List<Change> changes) {
    this.changes = List.copyOf(changes);
  }

  /**
   * The plan for applying {@code rendered} as {@code owner}'s installation; {@code namespaces} are
   * where owned Secrets are looked for.
   */
  public static ChangePlan compute(
      KubernetesClient client, IstioOperator owner, RenderResult rendered, Set<String> namespaces) {
    List<Change> changes = new ArrayList<>();
    Set<String> desired = new HashSet<>();
    Set<String> newNamespaces = new TreeSet<>();
    List<GenericKubernetesResource> objects = new ArrayList<>();
    for (ComponentManifest component : rendered.components()) {
      objects.addAll(Objects.toResources(client, component.objects()));
    }
    for (GenericKubernetesResource o : objects) {
      String ns = o.getMetadata().getNamespace();
      if (ns != null
          && !newNamespaces.contains(ns)
          && client.namespaces().withName(ns).get() == null) {
        newNamespaces.add(ns);
        changes.add(new Change(Action.CREATE, "Namespace " + ns, List.of()));
      }
    }
    for (GenericKubernetesResource o : objects) {
      desired.add(Objects.key(o));
      GenericKubernetesResource live = live(client, o);
      if (live == null) {
        changes.add(new Change(Action.CREATE, Objects.describe(o), List.of()));
        continue;
      }
      GenericKubernetesResource applied =
          client
              .resource(o)
              .dryRun()
              .fieldManager(OwnerLabels.FIELD_MANAGER)
              .forceConflicts()
              .serverSideApply();
      var json = client.getKubernetesSerialization();
      List<FieldChange> fields =
          diff(json.convertValue(live, JsonNode.class), json.convertValue(applied, JsonNode.class));
      if (!fields.isEmpty()) {
        changes.add(new Change(Action.UPDATE, Objects.describe(o), fields));
      }
    }
    changes.addAll(prunes(client, owner, desired, false, rendered.objects(), namespaces));
    return new ChangePlan(changes);
  }

  /**
   * The objects {@code owner} holds that are not in {@code desired}: what a prune (or, with an
   * empty {@code desired}, an uninstall) deletes.
   */
  static List<Change> prunes(
      KubernetesClient client,
      IstioOperator owner,
      Set<String> desired,
      boolean includeCrds,
      List<ObjectNode> rendered,
      Set<String> namespaces) {
    List<Change> out = new ArrayList<>();
    Pruner pruner = new Pruner(client, namespaces);
    for (ManagedKinds.Kind kind : Pruner.kinds(rendered)) {
      if (kind == ManagedKinds.CRD && !includeCrds) {
        continue;
      }
      List<GenericKubernetesResource> owned;
      try {
        owned = pruner.owned(owner, kind);
      } catch (KubernetesClientException e) {
        continue; // a kind the server does not serve holds nothing to prune
      }
      for (GenericKubernetesResource live : owned) {
        if (!desired.contains(Objects.key(live)) && !OwnerLabels.keep(live)) {
          out.add(new Change(Action.PRUNE, Objects.describe(live), List.of()));
        }
      }
    }
    return out;
  }

  private static GenericKubernetesResource live(
      KubernetesClient client, GenericKubernetesResource o) {
    try {
      return client.resource(o).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return null; // its kind is not served yet: the CRD comes with this apply
      }
      throw e;
    }
  }

  /** Every change, creates first, then updates, then prunes. */
  public List<Change> changes() {
    List<Change> out = new ArrayList<>(of(Action.CREATE));
    out.addAll(of(Action.UPDATE));
    out.addAll(of(Action.PRUNE));
    return out;
  }

  /** The changes of one kind of action, in apply order. */
  public List<Change> of(Action action) {
    return changes.stream().filter(c -> c.action() == action).toList();
  }

  /** True when applying would change nothing. */
  public boolean isEmpty() {
    return changes.isEmpty();
  }

  /**
   * The changes that take something running away: a pruned workload, Service or webhook, and an
   * update of a workload's pod template (its pods are replaced). Empty when there is none.
   */
  public List<String> risks() {
    List<String> out = new ArrayList<>();
    for (Change c : changes()) {
      String kind = c.object().substring(0, c.object().indexOf(' '));
      if (c.action() == Action.PRUNE && RUNNING.contains(kind)) {
        out.add("prune " + c.object());
      } else if (c.action() == Action.UPDATE
          && (kind.equals("Deployment") || kind.equals("DaemonSet"))
          && c.fields().stream()
              .anyMatch(
                  f ->
                      f.path().startsWith("spec.template")
                          || f.path().startsWith("spec.selector"))) {
        out.add("update " + c.object() + " replaces its pods");
      }
    }
    return out;
  }

  private static final Set<String> RUNNING =
      Set.of(
          "Deployment",
          "DaemonSet",
          "Service",
          "MutatingWebhookConfiguration",
          "ValidatingWebhookConfiguration");

  /** {@code Plan: 3 to create, 1 to update, 2 to prune.} */
  public String summary() {
    return "Plan: %d to create, %d to update, %d to prune."
        .formatted(of(Action.CREATE).size(), of(Action.UPDATE).size(), of(Action.PRUNE).size());
  }

  /** One line per object (and per changed field under an update), then the summary. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    for (Change c : changes()) {
      sb.append(c.action().sign)
          .append(' ')
          .append(c.action().verb)
          .append(' ')
          .append(c.object())
          .append('\n');
      for (FieldChange f : c.fields()) {
        sb.append("      ").append(f).append('\n');
      }
    }
    return sb.append(summary()).append('\n').toString();
  }

  /**
   * The fields that differ between {@code live} and {@code applied}, ignoring what the server
   * maintains. Pure.
   */
  static List<FieldChange> diff(JsonNode live, JsonNode applied) {
    List<FieldChange> out = new ArrayList<>();
    walk("", strip(live), strip(applied), out);
    return out;
  }

  /** A copy without managedFields, resourceVersion, generation, uid, timestamps and status. */
  static JsonNode strip(JsonNode object) {
    if (!(object instanceof ObjectNode o)) {
      return object;
    }
    ObjectNode copy = o.deepCopy();
    copy.remove("status");
    if (copy.get("metadata") instanceof ObjectNode meta) {
      meta.remove(
          List.of(
              "managedFields",
              "resourceVersion",
              "generation",
              "uid",
              "creationTimestamp",
              "selfLink"));
    }
    return copy;
  }

  private static void walk(String path, JsonNode before, JsonNode after, List<FieldChange> out) {
    if (before == null || before.isMissingNode()) {
      before = null;
    }
    if (after == null || after.isMissingNode()) {
      after = null;
    }
    if (before == null && after == null) {
      return;
    }
    // a map added or removed whole (the first labels of an object) shows key by key
    if (before == null && after.isObject() && !after.isEmpty()) {
      before = JSON.createObjectNode();
    } else if (after == null && before.isObject() && !before.isEmpty()) {
      after = JSON.createObjectNode();
    }
    if (before != null && after != null && before.isObject() && after.isObject()) {
      Set<String> names = new TreeSet<>();
      before.fieldNames().forEachRemaining(names::add);
      after.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        walk(child(path, name), before.get(name), after.get(name), out);
      }
      return;
    }
    if (before != null
        && after != null
        && before.isArray()
        && after.isArray()
        && before.size() == after.size()) {
      Iterator<JsonNode> a = before.elements();
      Iterator<JsonNode> b = after.elements();
      for (int i = 0; a.hasNext(); i++) {
        walk(path + "[" + i + "]", a.next(), b.next(), out);
      }
      return;
    }
    if (before != null && after != null && before.isTextual() && after.isTextual()) {
      if (before.equals(after)) {
        return;
      }
      // data fields holding JSON (the values ConfigMap) or many lines (the mesh config) are
      // compared inside, so that the change shows rather than the same first 100 characters
      JsonNode a = json(before.asText());
      JsonNode b = json(after.asText());
      if (a != null && b != null) {
        walk(path, a, b, out);
        return;
      }
      if (before.asText().contains("\n") || after.asText().contains("\n")) {
        lines(path, before.asText(), after.asText(), out);
        return;
      }
    }
    if (before == null || !before.equals(after)) {
      out.add(new FieldChange(path, before, after));
    }
  }

  private static JsonNode json(String text) {
    String t = text.strip();
    if (!t.startsWith("{") && !t.startsWith("[")) {
      return null;
    }
    try {
      return JSON.readTree(t);
    } catch (IOException e) {
      return null;
    }
  }

  /** The changed lines of a multi-line string, as {@code path#Ln} (1-based) changes. */
  private static void lines(String path, String before, String after, List<FieldChange> out) {
    String[] a = before.split("\n", -1);
    String[] b = after.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String x = i < a.length ? a[i] : null;
      String y = i < b.length ? b[i] : null;
      if (x == null || !x.equals(y)) {
        out.add(
            new FieldChange(
                path + "#L" + (i + 1),
                x == null ? null : TextNode.valueOf(x),
                y == null ? null : TextNode.valueOf(y)));
      }
    }
  }

  private static String child(String path, String name) {
    boolean plain = name.matches("[A-Za-z0-9_-]+");
    if (path.isEmpty()) {
      return plain ? name : "[\"" + name + "\"]";
    }
    return plain ? path + "." + name : path + "[\"" + name + "\"]";
  }

  private static String show(JsonNode value) {
    if (value == null) {
      return "(none)";
    }
    String s = value.toString();
    return s.length() <= LONGEST_VALUE ? s : s.substring(0, LONGEST_VALUE - 3) + "...";
  }
}
