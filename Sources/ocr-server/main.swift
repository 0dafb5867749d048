print("ocr-server")
