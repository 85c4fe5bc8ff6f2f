/*
 * gen.c - writes a realistic, deterministic set of KServe / Knative scaling
 * manifests for benchmarks: `gen N OUTDIR [SEED [NAMESPACES]]` writes N
 * documents, 100 per file, as multi-document YAML, spread over NAMESPACES
 * namespaces (default 37).  The mix follows what GitOps repositories
 * hold: InferenceServices, Knative Services, HPAs, KEDA ScaledObjects, PDBs
 * and a few config-autoscaler ConfigMaps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t state;
static uint32_t nns = 37; /* namespaces: team-0 .. team-(nns-1) */

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: deterministic for a seed */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t)((state * 2685821657736338717ull) >> 33) % n;
}

static const char *const models[] = {"sklearn", "xgboost", "pytorch", "tensorflow", "onnx", "huggingface", "triton"};
static const char *const metrics[] = {"concurrency", "rps", "cpu", "memory"};

static void isvc(FILE *f, uint32_t i)
{
    uint32_t min = rnd(4), max = min + rnd(20);
    const char *model = models[rnd(7)];
    fprintf(f, "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n"
               "  name: %s-model-%u\n  namespace: team-%u\n  labels:\n    app.kubernetes.io/part-of: serving\n"
               "    team: team-%u\n  annotations:\n",
            model, i, i % nns, i % nns);
    if (rnd(3) == 0)
        fprintf(f, "    serving.kserve.io/deploymentMode: %s\n", rnd(2) ? "RawDeployment" : "Serverless");
    if (rnd(4) == 0)
        fprintf(f, "    serving.kserve.io/autoscalerClass: %s\n", rnd(2) ? "hpa" : "keda");
    fprintf(f, "    autoscaling.knative.dev/target: \"%u\"\n", 1 + rnd(100));
    fprintf(f, "spec:\n  predictor:\n    minReplicas: %u\n    maxReplicas: %u\n", min, max);
    fprintf(f, "    scaleTarget: %u\n    scaleMetric: %s\n", 1 + rnd(80), metrics[rnd(4)]);
    if (rnd(5) == 0)
        fprintf(f, "    annotations:\n      autoscaling.knative.dev/initial-scale: \"%u\"\n", rnd(3));
    fprintf(f, "    model:\n      modelFormat:\n        name: %s\n      storageUri: gs://models/%s/%u\n"
               "      resources:\n        requests:\n          cpu: \"%u\"\n          memory: %uGi\n"
               "        limits:\n          cpu: \"%u\"\n          memory: %uGi\n",
            model, model, i, 1 + rnd(4), 1 + rnd(8), 2 + rnd(4), 2 + rnd(16));
    if (rnd(4) == 0)
        fprintf(f, "  transformer:\n    minReplicas: 1\n    containers:\n      - name: kserve-container\n"
                   "        image: registry.example.com/transformer:%u\n        env:\n"
                   "          - name: STORAGE_URI\n            value: gs://models/%u\n",
                rnd(9), i);
}

static void ksvc(FILE *f, uint32_t i)
{
    uint32_t min = rnd(3);
    fprintf(f, "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: svc-%u\n  namespace: team-%u\n"
               "spec:\n  template:\n    metadata:\n      annotations:\n"
               "        autoscaling.knative.dev/class: %s\n"
               "        autoscaling.knative.dev/min-scale: \"%u\"\n"
               "        autoscaling.knative.dev/max-scale: \"%u\"\n"
               "        autoscaling.knative.dev/target: \"%u\"\n",
            i, i % nns, rnd(5) ? "kpa.autoscaling.knative.dev" : "hpa.autoscaling.knative.dev", min, min + rnd(10),
            10 + rnd(190));
    if (rnd(3) == 0)
        fprintf(f, "        autoscaling.knative.dev/window: %us\n", 6 + rnd(120));
    fprintf(f, "    spec:\n      containerConcurrency: %u\n      containers:\n"
               "        - image: registry.example.com/app-%u:1.%u\n          ports:\n            - containerPort: 8080\n"
               "          resources:\n            requests: {cpu: 500m, memory: 256Mi}\n",
            rnd(4) * 25, i, rnd(9));
}

static void hpa(FILE *f, uint32_t i)
{
    fprintf(f, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: app-%u\n"
               "  namespace: team-%u\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
               "    name: app-%u\n  minReplicas: %u\n  maxReplicas: %u\n  metrics:\n    - type: Resource\n"
               "      resource:\n        name: cpu\n        target:\n          type: Utilization\n"
               "          averageUtilization: %u\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: %u\n"
               "      policies:\n        - type: Percent\n          value: 50\n          periodSeconds: 60\n",
            i, i % nns, i, 1 + rnd(3), 4 + rnd(30), 50 + rnd(40), 60 * rnd(6));
}

static void scaled_object(FILE *f, uint32_t i)
{
    fprintf(f, "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: worker-%u\n  namespace: team-%u\n"
               "spec:\n  scaleTargetRef:\n    name: worker-%u\n  minReplicaCount: %u\n  maxReplicaCount: %u\n"
               "  cooldownPeriod: 300\n  triggers:\n    - type: prometheus\n      metadata:\n"
               "        serverAddress: http://prometheus.monitoring:9090\n"
               "        query: sum(rate(http_requests_total{app=\"worker-%u\"}[2m]))\n        threshold: \"%u\"\n",
            i, i % nns, i, rnd(2), 5 + rnd(50), i, 10 + rnd(100));
}

static void pdb(FILE *f, uint32_t i)
{
    fprintf(f, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: app-%u\n  namespace: team-%u\n"
               "spec:\n  minAvailable: %u\n  selector:\n    matchLabels:\n      app: app-%u\n",
            i, i % nns, 1 + rnd(2), i);
}

static void config(FILE *f, uint32_t i)
{
    fprintf(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-autoscaler\n  namespace: knative-%u\n"
               "data:\n  enable-scale-to-zero: \"true\"\n  initial-scale: \"1\"\n  allow-zero-initial-scale: \"false\"\n"
               "  max-scale: \"%u\"\n  stable-window: 60s\n  container-concurrency-target-default: \"100\"\n",
            i, 10 + rnd(90));
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen N OUTDIR [SEED [NAMESPACES]]\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    const char *dir = argv[2];
    state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    if (argc > 4 && strtoul(argv[4], NULL, 10) > 0)
        nns = (uint32_t)strtoul(argv[4], NULL, 10);
    if (state == 0)
        state = 42;
    if (n <= 0 || (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "gen: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    FILE *f = NULL;
    for (long i = 0; i < n; i++) {
        if (i % 100 == 0) {
            if (f)
                fclose(f);
            char path[4096];
            snprintf(path, sizeof path, "%s/part-%06ld.yaml", dir, i / 100);
            f = fopen(path, "w");
            if (!f) {
                fprintf(stderr, "gen: cannot write %s: %s\n", path, strerror(errno));
                return 1;
            }
        } else {
            fputs("---\n", f);
        }
        uint32_t k = rnd(100);
        if (k < 45) isvc(f, (uint32_t)i);
        else if (k < 70) ksvc(f, (uint32_t)i);
        else if (k < 82) hpa(f, (uint32_t)i);
        else if (k < 90) scaled_object(f, (uint32_t)i);
        else if (k < 99) pdb(f, (uint32_t)i);
        else config(f, (uint32_t)i);
    }
    if (f)
        fclose(f);
    return 0;
}
