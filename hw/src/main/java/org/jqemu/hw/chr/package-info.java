/**
 * Character devices: UARTs and debug consoles (QEMU's hw/char; {@code char} itself is a Java
 * keyword and cannot name a package).
 */
package org.jqemu.hw.chr;
