package dev.prefstream.trainer.tokenizer;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizersTest {

    @TempDir
    Path tmp;

    /** The transformers fixtures keep weights in policy/ and reference/ and one tokenizer.json beside them. */
    @Test
    void aWeightsOnlyDirectoryUsesItsParentsTokenizerAndReproducesTheReferenceIds() throws Exception {
        Path llama = Path.of(TokenizersTest.class.getResource("/fixtures/llama").toURI());
        assertThat(llama.resolve("policy/tokenizer.json")).doesNotExist();
        JsonNode first = new ObjectMapper().readTree(llama.resolve("expected.json").toFile()).get("examples").get(0);

        assertThat(Tokenizers.directoryFor(llama.resolve("policy"))).isEqualTo(llama);
        try (LoadedModel loaded = HfModelLoader.loadWithTokenizer(llama.resolve("policy"), Device.cpu())) {
            long[] ids = loaded.tokenizer().encode(first.get("prompt").asText());
            assertThat(ids).hasSize(first.get("prompt_ids").size());
            for (int i = 0; i < ids.length; i++) {
                assertThat(ids[i]).as("token %d", i).isEqualTo(first.get("prompt_ids").get(i).asLong());
            }
        }
    }

    @Test
    void theModelsOwnTokenizerWinsAndNoneAnywhereIsAnErrorNamingTheDirectory() throws IOException, URISyntaxException {
        Path own = Files.createDirectories(tmp.resolve("own/model"));
        Files.writeString(own.resolve("tokenizer.json"), "{}");
        Files.writeString(tmp.resolve("own/tokenizer.json"), "{}");
        assertThat(Tokenizers.directoryFor(own)).isEqualTo(own);

        Path lonely = Files.createDirectories(tmp.resolve("lonely/model"));
        assertThatThrownBy(() -> Tokenizers.directoryFor(lonely))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(lonely.toString())
                .hasMessageContaining("no tokenizer.json here or in the parent directory");
    }
}
