"""Function and question words: they still match, but weigh little when content words are present.

Not a filter list: `quận`, `năm` and `người`, which general Vietnamese stopword lists carry, are
content in news and are not here."""

STOPWORDS = frozenset(
    """
    à ạ ai bao bị bởi cả các cái cho chưa có còn của cùng cũng đã đang đâu để đến đều điều do đó được gì
    hay hoặc khi không là lại lên lúc mà mình mới một này nào nên nếu nhiều như những nữa ở ra rằng rất
    rồi sau sẽ so sự tại thì theo thế trên trong từ vẫn vào vậy về vì với
    """.split()
)
