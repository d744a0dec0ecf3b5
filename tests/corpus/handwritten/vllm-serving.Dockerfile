FROM vllm/vllm-openai:v0.5.0

ARG MODEL_ID=mistralai/Mistral-7B-Instruct-v0.3
ENV HF_HUB_ENABLE_HF_TRANSFER=1 \
    VLLM_WORKER_MULTIPROC_METHOD=spawn

RUN --mount=type=secret,id=hf_token,env=HF_TOKEN \
    pip install hf_transfer

COPY chat_templates/ /templates/
EXPOSE 8000
ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]
CMD ["--model", "mistralai/Mistral-7B-Instruct-v0.3", "--max-model-len", "8192", \
     "--gpu-memory-utilization", "0.90", "--chat-template", "/templates/mistral.jinja"]
