package org.jqemu.system.ui;

/** What QMP needs from the VNC server: its state for query-vnc and the password for set_password. */
public interface RemoteDisplay {
    /** @param host listening host ("" for a unix socket), service the port or socket path */
    record Info(String host, String service, String family, String auth, int clients) {}

    Info info();

    /** Sets the VNC password (only the first 8 characters count, as in RFB's DES scheme). */
    void setPassword(String password);

    /** True when password=on was given, so set_password applies. */
    boolean passwordRequired();
}
