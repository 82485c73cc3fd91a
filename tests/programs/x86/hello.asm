; hello.asm - smallest program: prints one line and exits with PASS.
%include "common.inc"
main:
    PRINTLN "Hello from jqemu test guest"
    ret
END_IMAGE
