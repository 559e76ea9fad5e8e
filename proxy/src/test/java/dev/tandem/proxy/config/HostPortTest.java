package dev.tandem.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:6432          | 127.0.0.1           | 6432 | 127.0.0.1:6432
            localhost:5432          | localhost           | 5432 | localhost:5432
            db-1.example.com:5432   | db-1.example.com    | 5432 | db-1.example.com:5432
            source_db:5432          | source_db           | 5432 | source_db:5432
            0.0.0.0:0               | 0.0.0.0             | 0    | 0.0.0.0:0
            [::1]:6432              | ::1                 | 6432 | [::1]:6432
            [::]:6432               | ::                  | 6432 | [::]:6432
            [fe80::1%eth0]:5432     | fe80::1%eth0        | 5432 | [fe80::1%eth0]:5432
            [2001:db8::ff00:42]:65535 | 2001:db8::ff00:42 | 65535 | [2001:db8::ff00:42]:65535
            ' 10.0.0.1:1 '          | 10.0.0.1            | 1    | 10.0.0.1:1
            """)
    void parsesAndPrintsBack(String text, String host, int port, String printed) {
        HostPort parsed = HostPort.parse(text);

        assertThat(parsed).isEqualTo(new HostPort(host, port));
        assertThat(parsed).hasToString(printed);
        assertThat(HostPort.parse(parsed.toString())).isEqualTo(parsed);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``                 | is empty; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432)
            localhost          | has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432)
            localhost:         | has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432)
            :6432              | has no host; expected host:port (0.0.0.0:port listens on all interfaces)
            localhost:65536    | has port 65536, which is above 65535
            localhost:99999999999 | has port '99999999999', which is not a number from 0 to 65535
            localhost:-1       | has port '-1', which is not a number from 0 to 65535
            localhost:http     | has port 'http', which is not a number from 0 to 65535
            ::1:6432           | looks like an IPv6 address without brackets; write [address]:port (e.g. [::1]:6432)
            [::1               | has no closing ']'; expected [ipv6]:port (e.g. [::1]:6432)
            [::1]              | has no port after ']'; expected [ipv6]:port (e.g. [::1]:6432)
            [::1]6432          | has no port after ']'; expected [ipv6]:port (e.g. [::1]:6432)
            [localhost]:5432   | has brackets around 'localhost', which is not an IPv6 address; brackets are only for IPv6
            db host:5432       | has host 'db host' that is not a host name or IP address (letters, digits, '.', '-', '_'; IPv6 in [brackets])
            -db:5432           | has host '-db' that is not a host name or IP address (letters, digits, '.', '-', '_'; IPv6 in [brackets])
            """)
    void refuses(String text, String message) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void theConstructorChecksToo() {
        assertThatThrownBy(() -> new HostPort("localhost", 70000)).hasMessage("port 70000 is not between 0 and 65535");
        assertThatThrownBy(() -> new HostPort("", 1)).hasMessage("host '' is empty");
    }
}
