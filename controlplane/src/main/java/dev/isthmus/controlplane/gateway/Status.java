package dev.isthmus.controlplane.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isthmus.controlplane.gateway.GatewayApiResult.StatusUpdate;
import java.util.ArrayList;
import java.util.List;

/** Collects the status of each object; a status equal to the live one is not written. */
final class Status {
  final String now;
  final List<StatusUpdate> updates = new ArrayList<>();

  Status(String now) {
    this.now = now;
  }

  void put(JsonNode obj, JsonNode status) {
    if (status.equals(obj.get("status"))) {
      return;
    }
    String apiVersion = Nodes.textOr(obj, "", "apiVersion");
    if (apiVersion.startsWith(Inputs.GW_GROUP + "/")) {
      apiVersion = Inputs.GW_GROUP + "/v1";
    }
    updates.add(
        new StatusUpdate(
            apiVersion, Nodes.text(obj, "kind"), Nodes.namespace(obj), Nodes.name(obj), status));
  }
}
