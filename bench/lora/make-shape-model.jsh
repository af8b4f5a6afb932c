// Writes a randomly initialised model of a config.json's shape (for memory/speed benchmarks, not for quality):
//   jshell --class-path cli/target/prefstream.jar -R-Dcfg=bench/lora/qwen2.5-0.5b-shape.json -R-Dout=/tmp/qwen05-shape \
//          -R-Dtok=trainer/src/test/resources/fixtures/llama/tokenizer.json bench/lora/make-shape-model.jsh
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.model.*;
import java.nio.file.*;
var cfg = ModelConfig.read(Path.of(System.getProperty("cfg")));
var out = Path.of(System.getProperty("out"));
try (var model = ModelPresets.initialize(cfg, NDManager.newBaseManager(Device.cpu()), 1)) {
    HfModelSaver.save(model, out, null);
}
Files.copy(Path.of(System.getProperty("tok")), out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
System.out.println("wrote " + out);
/exit
