/**
 * Discovery: fabric8 informers on Kubernetes and Istio objects ({@link
 * dev.isthmus.controlplane.discovery.KubeDiscovery}) feeding the incremental mesh model ({@link
 * dev.isthmus.controlplane.discovery.MeshIndex}), which updates only what an event touches and says
 * what changed; and the pure full translation of a whole state into the model ({@link
 * dev.isthmus.controlplane.discovery.MeshModelBuilder}), which the incremental model must equal.
 * Invalid VirtualServices and DestinationRules are skipped with a reason naming the field path.
 */
package dev.isthmus.controlplane.discovery;
