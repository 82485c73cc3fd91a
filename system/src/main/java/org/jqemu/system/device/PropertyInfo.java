package org.jqemu.system.device;

/** One property of a device type, as {@code -device TYPE,help} lists it. */
public record PropertyInfo(String name, String type, String defaultValue, String description) {}
