/** The immutable mesh model xDS generation reads: services, endpoints, workloads and config. */
package dev.isthmus.controlplane.model;
