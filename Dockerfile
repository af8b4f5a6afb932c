# The prefstream services image: the same fat jar as ./prefstream, on a Java 17 runtime.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY schemas schemas
COPY devstack devstack
COPY checkpoint checkpoint
COPY ingest ingest
COPY trainer trainer
COPY publisher publisher
COPY cli cli
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/cli/target/prefstream.jar /app/prefstream.jar
# DJL must not download at run time unless asked to (GPU hosts may set PREFSTREAM_DJL_OFFLINE=false + PYTORCH_FLAVOR).
ENV PREFSTREAM_DJL_OFFLINE=true
# keep freed native memory for reuse instead of page-faulting every large libtorch temporary afresh (see ./prefstream)
ENV MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=268435456 MALLOC_ARENA_MAX=1
ENTRYPOINT ["sh", "-c", "exec java -Dai.djl.offline=${PREFSTREAM_DJL_OFFLINE} -jar /app/prefstream.jar \"$@\"", "prefstream"]
