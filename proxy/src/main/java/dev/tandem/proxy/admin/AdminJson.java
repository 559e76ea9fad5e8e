package dev.tandem.proxy.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * The JSON mapper of the admin endpoints. {@code java.time} values become ISO-8601 strings and {@code Optional}s
 * their content or {@code null}, without extra Jackson modules on the classpath. Request bodies are read strictly:
 * a repeated field or anything after the document is an error, not silently resolved to one of the readings (which
 * database {@code {"database": "a", "database": "b"}} marks must not be a guess).
 */
final class AdminJson {

    static final ObjectMapper MAPPER = create();

    private AdminJson() {
    }

    private static ObjectMapper create() {
        SimpleModule module = new SimpleModule("tandem-admin");
        for (Class<?> type : new Class<?>[] {Instant.class, Duration.class, OffsetDateTime.class, ZonedDateTime.class,
                LocalDateTime.class, LocalDate.class}) {
            module.addSerializer(type, ToStringSerializer.instance);
        }
        module.addSerializer(new OptionalSerializer());
        return new ObjectMapper()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .registerModule(module)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class OptionalSerializer extends StdSerializer<Optional> {

        private static final long serialVersionUID = 1L;

        OptionalSerializer() {
            super(Optional.class);
        }

        @Override
        public void serialize(Optional value, JsonGenerator generator, SerializerProvider provider)
                throws IOException {
            if (value.isPresent()) {
                provider.defaultSerializeValue(value.get(), generator);
            } else {
                generator.writeNull();
            }
        }
    }
}
