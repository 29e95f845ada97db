/**
 * Discovery: fabric8 informers on Kubernetes and Istio objects ({@link
 * dev.isthmus.controlplane.discovery.KubeDiscovery}) and the pure translation of what they hold
 * into the mesh model ({@link dev.isthmus.controlplane.discovery.MeshModelBuilder}), which skips
 * invalid VirtualServices and DestinationRules with a reason naming the field path.
 */
package dev.isthmus.controlplane.discovery;
