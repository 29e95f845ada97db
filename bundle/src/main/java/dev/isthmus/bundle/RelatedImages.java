package dev.isthmus.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isthmus.translate.Translator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code RelatedImages} lists the images an installation pulls, for disconnected mirroring: the
 * operator image and every container image the default profile renders (the control plane and the
 * proxy of the gateways, which the injected sidecars use too).
 */
public final class RelatedImages {
  /** One image with the short name OLM shows. */
  public record Image(String name, String image) {}

  private RelatedImages() {}

  /** Operator image first, then the rendered images sorted. */
  public static List<Image> of(BundleInfo info) {
    List<Image> out = new ArrayList<>();
    out.add(new Image(shortName(info.operatorImage()), info.operatorImage()));
    TreeSet<String> rendered = new TreeSet<>();
    for (ObjectNode o : Translator.render(BundleResources.defaultIstioOperator()).objects()) {
      JsonNode pod = o.at("/spec/template/spec");
      for (String list : List.of("initContainers", "containers")) {
        for (JsonNode c : pod.path(list)) {
          if (c.hasNonNull("image") && !c.get("image").asText().equals("auto")) {
            rendered.add(c.get("image").asText());
          }
        }
      }
    }
    rendered.forEach(i -> out.add(new Image(shortName(i), i)));
    return out;
  }

  private static String shortName(String image) {
    String repo = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
    int colon = repo.lastIndexOf(':');
    if (colon > repo.lastIndexOf('/')) {
      repo = repo.substring(0, colon);
    }
    return repo.substring(repo.lastIndexOf('/') + 1);
  }
}
